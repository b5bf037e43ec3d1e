// `npm run bench`: fleetpulse against Prometheus Pushgateway and node_exporter, side by side
// on this machine, in one run, on the same data. Writes <out>/<date>.{md,json,svg}.
import { readFileSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseReportJson, reportJson, runBench, writeReport } from './bench.js';
import { runRemoteWriteBench } from './remote-write.js';
import { renderRemoteWriteMarkdown } from './report/remote-write-markdown.js';
import type { RemoteWriteReport } from './report/remote-write-report.js';
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
  if (options.phase === 'remote-write') {
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
    const report = fromJson !== -1 ? parseReportJson<RemoteWriteReport>(readFileSync(process.argv[fromJson + 1]!, 'utf8')) : await runRemoteWriteBench(options, command);
    const markdown = renderRemoteWriteMarkdown(report);
    mkdirSync(options.outDir, { recursive: true });
    const files = [join(options.outDir, `${options.name}.md`), join(options.outDir, `${options.name}.json`)];
    writeFileSync(files[0]!, markdown);
    writeFileSync(files[1]!, reportJson(report));
    process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
    process.exit(0);
  }
  const report = fromJson !== -1 ? readReport(process.argv[fromJson + 1]!) : await runBench(options);
  const { markdown, files } = writeReport(report, options.outDir, options.name);
  process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
  process.exit(0);
}

function readReport(path: string): BenchReport {
  const report = parseReportJson<BenchReport>(readFileSync(path, 'utf8'));
  report.targets = evaluateTargets(report);
  return report;
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
