import { median } from '../measure/stats.js';
import type { RelayRun } from '../phases/relay.js';
import { RELAY_TITLES, type RelayName } from '../systems/relay.js';
import type { RemoteWriteReport } from './remote-write-report.js';

const num = (v: number | undefined, digits = 3): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const mib = (v: number | undefined): string => num(v === undefined ? undefined : v / 2 ** 20, 1);
const count = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en') : '–');
const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;

/** The relay's runs' median of one figure. */
function med(runs: RelayRun[], f: (r: RelayRun) => number): number {
  return median(runs.map(f).filter(Number.isFinite));
}

function delivered(r: RelayRun): string {
  const d = r.delivery;
  return `${count(d.found)} / ${count(d.expected)}${d.found === d.expected ? '' : ' **(differs)**'}`;
}

/** fleetpulse's CPU per sample over vmagent's, from the medians; undefined when one is missing. */
export function cpuPerSampleRatio(report: RemoteWriteReport): number | undefined {
  const of = (relay: RelayName): number => med(report.runs.filter((r) => r.relay === relay && !r.couldNotKeepUp), (r) => r.cpuMicrosecondsPerSample);
  const ratio = of('fleetpulse') / of('vmagent');
  return Number.isFinite(ratio) ? ratio : undefined;
}

export function renderRemoteWriteMarkdown(report: RemoteWriteReport): string {
  const m = report.machine;
  const w = report.workload;
  const out: string[] = [];
  out.push(`# remote_write relay benchmark — ${report.date.slice(0, 16).replace('T', ' ')} UTC (${report.mode} run, ${Math.round(report.durationSeconds)} s)`, '');
  out.push(`Command: \`${report.command}\``, '');
  out.push(`Machine: ${m.cores} cores, ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Linux ${m.kernel}, Node ${m.node}; ` +
    `VictoriaMetrics and vmagent from Debian's victoria-metrics ${report.packages['victoria-metrics']}. ` +
    `**The machine was shared** with other engineers' builds and tests while this ran: load average ${m.loadAverageAtStart} at the start, ` +
    `${report.loadAverageAtEnd} at the end (${m.cores} cores). Relays ran one at a time, alternating, each with its own fresh VictoriaMetrics; compare medians.`, '');
  out.push(`Workload: ${w.agents} simulated agents × ${w.series} series every ${w.periodMs / 1000} s (bench/fleet/workload.ts: a host's node_exporter mix). ` +
    'The bridge gets them over our TCP protocol (one connection per agent, `timestamp_ms` = collection time) and writes them with FLEETPULSE_REMOTE_WRITE_URL; ' +
    'vmagent gets the same batches as Prometheus text with the collection time on every sample, `POST /api/v1/import/prometheus?extra_label=instance=<agent>&extra_label=job=fleetpulse` ' +
    '(64 keep-alive connections), and writes them with -remoteWrite.url. Both send to VictoriaMetrics\' /api/v1/write. CPU and memory read from /proc of the relay process.', '');
  const relays = [...new Set(report.runs.map((r) => r.relay))];
  out.push(`## Relaying ${w.agents} agents × ${w.series} series every ${w.periodMs / 1000} s (medians of ${w.runs} runs each)`, '');
  out.push(row(['relay', 'CPU-s per cycle', 'CPU µs per sample', 'RSS MiB', 'own (RssAnon) MiB', 'receiver CPU-s per cycle', 'ack p50 / p99 ms', 'runs that kept the period', 'receiver has / acked (every run)']));
  out.push(row(Array(9).fill('---')));
  for (const relay of relays) {
    const runs = report.runs.filter((r) => r.relay === relay);
    out.push(row([
      RELAY_TITLES[relay], num(med(runs, (r) => r.cpuSecondsPerCycle)), num(med(runs, (r) => r.cpuMicrosecondsPerSample), 2),
      mib(med(runs, (r) => r.rssBytes)), mib(med(runs, (r) => r.anonBytes)), num(med(runs, (r) => r.receiverCpuSecondsPerCycle)),
      `${num(med(runs, (r) => r.ackP50Ms), 0)} / ${num(med(runs, (r) => r.ackP99Ms), 0)}`, `${runs.filter((r) => r.keptUp).length} of ${runs.length}`,
      runs.map(delivered).join('; '),
    ]));
  }
  const ratio = cpuPerSampleRatio(report);
  if (ratio !== undefined) {
    out.push('', `**Goal (issue 11): fleetpulse at or below vmagent's CPU per sample — ${ratio <= 1 ? 'met' : 'not met'}: fleetpulse / vmagent = ${ratio.toFixed(2)}.**`);
  }
  out.push('', 'CPU per cycle: the relay\'s CPU over the measured cycles divided by their number; per sample: that over agents × series. ' +
    'Ack: push to acknowledgement — the bridge acknowledges once every receiver returned 2xx for the batch (issue 11\'s contract); vmagent answers 204 once the rows are in its queue, before they are sent. ' +
    'Receiver has: the fleet\'s samples VictoriaMetrics holds after the run (a count_over_time over every node_* series), against the samples the relay acknowledged.', '');
  out.push('### Every run, in the order they ran', '', row(['relay', 'cycles s', 'CPU-s per cycle', 'µs per sample', 'samples per write request', 'RSS MiB (peak)', 'ack p50 / p99 ms', 'receiver has / acked', 'failed pushes']), row(Array(9).fill('---')));
  for (const r of report.runs) {
    out.push(row([RELAY_TITLES[r.relay], r.couldNotKeepUp ? `**${r.couldNotKeepUp}**` : r.cycleSeconds.map((s) => s.toFixed(2)).join(', '), num(r.cpuSecondsPerCycle), num(r.cpuMicrosecondsPerSample, 2), num(r.samplesPerRequest, 0),
      `${mib(r.rssBytes)} (${mib(r.peakRssBytes)})`, `${num(r.ackP50Ms, 0)} / ${num(r.ackP99Ms, 0)}`, delivered(r), r.failedPushes === 0 ? '0' : `${r.failedPushes} (${r.firstError})`]));
  }
  out.push('');
  if (report.replays.length > 0) {
    const first = report.replays[0]!;
    const minutes = (first.backlogBatches * first.periodMs) / 60_000;
    out.push(`## Replay: ${first.agents} agents reconnect with ${minutes} minutes of backlog each`, '',
      `Each agent first sends its newest batch (a fresh cycle), then its ${first.backlogBatches} older batches oldest first (\`timestamp_ms\` of their collection), ` +
      `${first.window} in flight per agent, while fresh batches keep coming every ${first.periodMs / 1000} s. A batch answered FP_RETRY_LATER is sent again 1 s later. ` +
      `${count(first.agents * first.backlogBatches * first.series)} backlog samples per relay.`, '');
    out.push(row(['relay', 'drained', 'acked in s', 'samples/s', 'in receiver after s', 'FP_RETRY_LATER', 'CPU µs per sample', 'peak RSS MiB', 'fresh cycles kept / during', 'fresh ack p50 / p99 / max ms (before: p50)', 'stalest agent in receiver, median / max s', 'receiver has / acked']));
    out.push(row(Array(12).fill('---')));
    for (const r of report.replays) {
      const d = r.delivery;
      out.push(row([
        RELAY_TITLES[r.relay], r.drained ? 'yes' : `**no**${r.replay.aborted ? ' (cut off)' : ''}${r.replay.firstError ? `: ${r.replay.firstError}` : ''}`, num(r.ackedSeconds, 1), count(r.ackedSamplesPerSecond),
        num(r.inReceiverSeconds, 1), count(r.replay.retries), num(r.cpuMicrosecondsPerSample, 2), mib(r.peakRssBytes), `${r.fresh.keptUp} / ${r.fresh.cycles}`,
        `${num(r.fresh.ackP50Ms, 0)} / ${num(r.fresh.ackP99Ms, 0)} / ${num(r.fresh.ackMaxMs, 0)} (${num(r.freshBeforeAckP50Ms, 0)})`,
        `${num(r.receiverLagMedianSeconds, 1)} / ${num(r.receiverLagMaxSeconds, 1)}`, `${count(d.found)} / ${count(d.expected)}`,
      ]));
    }
    out.push('', 'Acked in: replay start to the last backlog acknowledgement (vmagent: queued). In receiver after: until VictoriaMetrics held every acknowledged sample (backlog and fresh; an upper bound, counted after the fresh cycles stopped). ' +
      'Stalest agent in receiver: now minus the oldest of the agents\' newest node_load1 timestamps in VictoriaMetrics, polled every 5 s during the drain — about one period when fresh data is not held up.', '');
  }
  out.push('The bridge\'s encoder alone (protobuf and snappy per sample, bytes on the wire): `node --import tsx bench/remote-write-encode.ts`.', '');
  if (report.notes.length > 0) out.push(`Left out or failed: ${report.notes.join('; ')}.`, '');
  return out.join('\n');
}
