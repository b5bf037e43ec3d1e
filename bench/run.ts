// `npm run bench`: fleetpulse against Prometheus Pushgateway and node_exporter, side by side
// on this machine, in one run, on the same data. Writes <out>/<date>.{md,json,svg}.
import { runBench, writeReport } from './bench.js';
import { HelpRequested, USAGE, parseOptions, type BenchOptions } from './options.js';

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), new Date().toISOString().slice(0, 10));
  } catch (err) {
    if (err instanceof HelpRequested) return void process.stdout.write(USAGE);
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const report = await runBench(options);
  const { markdown, files } = writeReport(report, options.outDir, options.name);
  process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
  process.exit(0);
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
