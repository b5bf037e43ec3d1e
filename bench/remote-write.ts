// `npm run bench -- --phase remote-write`: the bridge relaying a simulated fleet into
// VictoriaMetrics by remote_write, side by side with vmagent fed the same data; then a backlog
// replay through each. Every relay gets its own fresh VictoriaMetrics; runs alternate.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import type { BenchOptions } from './options.js';
import { measureRelay } from './phases/relay.js';
import { measureReplay } from './phases/replay.js';
import { describeMachine } from './report/machine.js';
import type { RemoteWriteReport } from './report/remote-write-report.js';
import { which } from './systems/child.js';
import type { RelayName } from './systems/relay.js';
import { VICTORIA_METRICS } from './systems/victoria-metrics.js';
import { VMAGENT } from './systems/vmagent.js';

export async function runRemoteWriteBench(options: BenchOptions, command: string, log: (line: string) => void = console.log): Promise<RemoteWriteReport> {
  const started = Date.now();
  const rw = options.remoteWrite;
  const agents = options.agents[0]!;
  const report: RemoteWriteReport = {
    date: new Date().toISOString(),
    mode: options.mode,
    command,
    machine: describeMachine(),
    packages: { 'victoria-metrics': packageVersion('victoria-metrics') },
    workload: { agents, series: options.series, periodMs: options.periodMs, runs: rw.runs },
    durationSeconds: 0,
    loadAverageAtEnd: 0,
    runs: [],
    replays: [],
    notes: [],
  };
  if (!which(VICTORIA_METRICS)) throw new Error(`${VICTORIA_METRICS} is not installed (apt-get install victoria-metrics): it is the receiver of every run`);
  const relays = rw.relays.filter((r) => {
    if (r === 'vmagent' && !which(VMAGENT)) {
      report.notes.push(`vmagent is not installed (apt-get install victoria-metrics): no vmagent runs`);
      return false;
    }
    return true;
  });
  log(`fleetpulse remote-write bench (${options.mode}): ${agents} agents x ${options.series} series every ${options.periodMs / 1000} s, ` +
    `${rw.runs} alternating runs of ${relays.join(', ')}; load average ${report.machine.loadAverageAtStart}`);
  for (let i = 0; i < rw.runs; i++) {
    for (const relay of relays) {
      log(`run ${i + 1}/${rw.runs}: ${relay}`);
      // Twice the scale phase's measured cycles: a relay's CPU comes in flushes, more cycles even them out.
      const run = await guarded(relay, report, () => measureRelay(relay, {
        agents, series: options.series, periodMs: options.periodMs, warmCycles: options.warmCycles, measuredCycles: options.measuredCycles * 2, maxCycleMs: options.maxCycleMs, log,
      }));
      if (run) report.runs.push(run);
    }
  }
  if (rw.backlogMinutes !== undefined) {
    const backlogBatches = Math.max(1, Math.round((rw.backlogMinutes * 60_000) / options.periodMs));
    for (const relay of relays) {
      log(`replay: ${relay}, ${rw.backlogMinutes} min of backlog (${backlogBatches} batches) per agent`);
      const replay = await guarded(relay, report, () => measureReplay(relay, {
        agents, series: options.series, periodMs: options.periodMs, backlogBatches, window: rw.replayWindow, retryDelayMs: 1000, maxMs: rw.replayMaxMs, maxCycleMs: options.maxCycleMs, log,
      }));
      if (replay) report.replays.push(replay);
    }
  }
  report.durationSeconds = (Date.now() - started) / 1000;
  report.loadAverageAtEnd = Math.round(loadavg()[0]! * 100) / 100;
  return report;
}

/** A relay that fails to start or run is noted, and the other runs go on. */
async function guarded<T>(relay: RelayName, report: RemoteWriteReport, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    report.notes.push(`${relay}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

function packageVersion(name: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}
