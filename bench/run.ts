// `npm run bench`: fleetpulse against Prometheus Pushgateway and node_exporter, side by side
// on this machine, in one run, on the same data. Writes <out>/<date>.{md,json,svg}.
import { readFileSync } from 'node:fs';
import { runBench, writeReport } from './bench.js';
import type { BenchReport } from './report/bench-report.js';
import { evaluateTargets } from './report/targets.js';
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
  // --from-json <file>: render the markdown and chart again from a run's JSON, without running.
  const fromJson = process.argv.indexOf('--from-json');
  const report = fromJson !== -1 ? readReport(process.argv[fromJson + 1]!) : await runBench(options);
  const { markdown, files } = writeReport(report, options.outDir, options.name);
  process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
  process.exit(0);
}

function readReport(path: string): BenchReport {
  const report = JSON.parse(readFileSync(path, 'utf8'), (_k, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v)) as BenchReport;
  report.targets = evaluateTargets(report);
  return report;
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
