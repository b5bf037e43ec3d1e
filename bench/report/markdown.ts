import type { BenchReport } from './bench-report.js';
import type { Footprint } from '../phases/agent-footprint.js';
import type { ScaleResult } from '../phases/scale.js';
import { median } from '../measure/stats.js';
import { TARGET_TITLES } from '../systems/target.js';

const num = (v: number | undefined, digits = 3): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const mib = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : (v / 2 ** 20).toFixed(v < 10 * 2 ** 20 ? 2 : 1));
const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : 'never');

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function mainRow(r: ScaleResult): string {
  const kept = r.couldNotKeepUp ? `**could not keep up**: ${r.couldNotKeepUp}` : r.keptUp ? 'yes' : `no (cycles ${r.cycleSeconds.map((s) => s.toFixed(1)).join(', ')} s)`;
  const never = r.visibility?.visibleMs.filter((v) => !Number.isFinite(v)).length ?? 0;
  const visible = r.visibility
    ? `${ms(median(r.visibility.visibleMs))} (${ms(r.visibility.scrapeMs)})${never > 0 ? `; ${never} of ${r.visibility.visibleMs.length} not within 30 s` : ''}`
    : '–';
  return row([
    TARGET_TITLES[r.target], r.agents, r.seriesExposed ?? '–', kept, num(median(r.cycleSeconds), 2),
    num(r.cpuSecondsPerCycle), num(r.cpuSecondsPerCycleScraped), num(r.coresBusy, 2), `${mib(r.rssBytes)} (${mib(r.peakRssBytes)})`,
    `${num(r.gzip?.firstSeconds)} / ${num(r.gzip?.p50Seconds)} / ${num(r.gzip?.p99Seconds)}`, mib(r.gzip?.bytes), num(r.gzip?.cpuSecondsPerScrape),
    `${num(r.plain?.p50Seconds)} / ${num(r.plain?.p99Seconds)}`, mib(r.plain?.bytes), visible,
  ]);
}

function ratios(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const agents of report.workload.agents) {
    const ours = report.results.find((r) => r.target === 'fleetpulse' && r.agents === agents);
    const theirs = report.results.find((r) => r.target === 'pushgateway-nocheck' && r.agents === agents);
    if (!ours || !theirs) continue;
    const q = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? '–' : (a / b).toFixed(3));
    lines.push(row([agents, q(ours.cpuSecondsPerCycle, theirs.cpuSecondsPerCycle), q(ours.gzip?.p50Seconds, theirs.gzip?.p50Seconds), q(ours.plain?.p50Seconds, theirs.plain?.p50Seconds), q(ours.rssBytes, theirs.rssBytes), q(ours.gzip?.bytes, theirs.gzip?.bytes)]));
  }
  return lines;
}

function footprintRow(name: string, f: Footprint): string {
  // anonBytes is absent in results recorded before it was measured.
  const own = f.anonBytes === undefined ? '–' : mib(f.anonBytes);
  return row([name, mib(f.rssBytes), mib(f.peakRssBytes), own, num(f.cpuSecondsPerRound * 1000, 1), f.rounds, num(f.cpuSeconds, 2), f.series]);
}

export function renderMarkdown(report: BenchReport, chartFile: string): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(`# fleetpulse benchmark — ${report.date.slice(0, 16).replace('T', ' ')} UTC (${report.mode} run, ${Math.round(report.durationSeconds)} s)`, '');
  out.push(`Machine: ${m.cores} cores, ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Linux ${m.kernel}, Node ${m.node}; ` +
    Object.entries(m.tools).map(([k, v]) => `${k} ${v}`).join(', ') +
    `. Load average ${m.loadAverageAtStart} at the start, ${report.loadAverageAtEnd} at the end (${m.cores} cores; other work on the machine shows here).`, '');
  const w = report.workload;
  out.push(`Workload: each simulated agent sends ${w.series} series (per-core cpu counters, meminfo gauges, per-device disk and network counters, filesystems, load, collector status; ` +
    `${Math.round(w.changingShare * 100)}% of the values change per cycle) every ${w.periodMs / 1000} s; fleetpulse over our TCP protocol with the real encoder (one connection per agent, answering the bridge's heartbeat and pinging only when idle, as the reference agent does), ` +
    'Pushgateway by `PUT /metrics/job/fleetpulse_bench/instance/<agent>` (one group per agent, 64 keep-alive connections). Simulators run as separate processes; ' +
    'CPU and RSS are read from /proc of the measured process. Scrapes are at least one period apart, so every agent has pushed since the previous one (as with Prometheus at 15 s).', '');
  out.push(`![scrape latency and CPU per cycle vs agents](${chartFile})`, '');
  out.push('## Targets', '', row(['goal', 'measured', 'met']), row(['---', '---', '---']));
  for (const t of report.targets) out.push(row([t.goal, t.measured, t.met === undefined ? 'not measured' : t.met ? '**yes**' : '**no**']));
  out.push('', '## Ingest, memory and /metrics', '');
  out.push(row(['system', 'agents', 'series exposed', `kept the ${w.periodMs / 1000} s period`, 'cycle s (median)', 'CPU-s per cycle, ingest only', 'CPU-s per cycle, gzip-scraped', 'cores busy (ingest)', 'RSS MiB (peak)',
    'gzip scrape first / p50 / p99 s', 'gzip MiB', 'CPU-s per gzip scrape', 'plain scrape p50 / p99 s', 'plain MiB', 'visible after ms (scrape ms)']));
  out.push(row(Array(15).fill('---')));
  for (const r of report.results) out.push(mainRow(r));
  for (const s of report.skipped) out.push(row([TARGET_TITLES[s.target], s.agents, '–', `not run: ${s.reason}`, ...Array(11).fill('–')]));
  out.push('', 'CPU-s per cycle, ingest only: the target\'s CPU over the measured cycles, before any scrape, divided by their number. ' +
    'CPU-s per cycle, gzip-scraped: the same while a gzip scrape comes every period (everything the target does then: ingest, scrapes, and for fleetpulse compressing pieces ahead). ' +
    'Scrapes: one first scrape (reported first: it warms what a target caches), then scrapes one period apart, so every agent has pushed between two of them. ' +
    'CPU-s per gzip scrape: the target\'s CPU during a scrape beyond its ingest rate. ' +
    'Visible after: from the probe\'s send to the start of the first scrape showing the value, with scrapes polled back to back; its resolution is one scrape (in brackets).', '');
  const rat = ratios(report);
  if (rat.length > 0) {
    out.push('### fleetpulse / Pushgateway (check off)', '', row(['agents', 'CPU per cycle', 'gzip scrape p50', 'plain scrape p50', 'RSS', 'gzip bytes']), row(Array(6).fill('---')), ...rat, '');
  }
  const saturated = report.results.filter((r) => r.saturation);
  if (saturated.length > 0) {
    out.push('## Ingest throughput at saturation', '', row(['system', 'agents', 'period ms → samples/s (cores busy)', 'shortest period kept', 'saturation samples/s']), row(Array(5).fill('---')));
    for (const r of saturated) {
      const s = r.saturation!;
      const steps = s.steps.map((st) => `${st.periodMs} → ${Math.round(st.samplesPerSecond).toLocaleString('en')}${st.keptUp ? '' : ' behind'} (${num(st.cpuCoresBusy, 2)})`).join('; ');
      out.push(row([TARGET_TITLES[r.target], r.agents, steps, s.shortestKeptPeriodMs === undefined ? '–' : `${s.shortestKeptPeriodMs} ms`, `**${Math.round(s.samplesPerSecond).toLocaleString('en')}**`]));
    }
    out.push('', 'The period is halved while every cycle keeps it; period 0 means cycles back to back. The simulator shares the machine\'s cores with the target.', '');
  }
  const looped = report.results.filter((r) => r.prometheus);
  if (looped.length > 0) {
    out.push('## A real Prometheus scraping each target', '', row(['system', 'agents', 'series', 'interval', 'scrapes', 'scrape_duration_seconds p50', 'max', 'failed scrapes']), row(Array(8).fill('---')));
    for (const r of looped) {
      const p = r.prometheus!;
      out.push(row([TARGET_TITLES[r.target], r.agents, p.samplesScraped, `${p.intervalSeconds} s`, p.scrapes, num(p.durationP50Seconds), num(p.durationMaxSeconds), p.failedScrapes]));
    }
    out.push('');
  }
  if (report.floor) {
    const f = report.floor;
    out.push(`## The floor: ${f.agents} agents × ${f.series} series`, '',
      `With one series per agent the bridge still holds ${f.agents} connections, reads a batch, writes an ack, sends a ping and reads its pong per agent and period: ` +
      `**${num(f.cpuSecondsPerCycle)} CPU-s per cycle** (${num(f.coresBusy, 2)} cores) and **${mib(f.rssBytes)} MiB RSS**. No exposition design goes below this; it is the protocol's and Node's share of the figures above.`, '');
  }
  if (report.footprint) {
    const f = report.footprint;
    out.push(`## Agent footprint (every ${f.intervalMs / 1000} s over ${Math.round(f.windowSeconds)} s)`, '', row(['program', 'RSS MiB', 'peak RSS MiB', 'own (RssAnon) MiB', 'CPU ms per collection / scrape', 'collections / scrapes', 'CPU-s total', 'series']), row(Array(8).fill('---')));
    const flags = f.nodeFlags?.length ? ` as deployed: \`node ${[...f.nodeFlags, f.agentFile ?? 'dist/cli.js'].join(' ')} agent\`` : '';
    out.push(footprintRow(`fleetpulse agent (collect + push)${flags}`, f.agent));
    if (f.agentPlainNode) out.push(footprintRow('fleetpulse agent under a plain `node`', f.agentPlainNode));
    if ('skipped' in f.nodeExporter) out.push(row(['node_exporter', `skipped: ${f.nodeExporter.skipped}`, '', '', '', '', '', '']));
    else out.push(footprintRow('node_exporter (default collectors, scraped with gzip)', f.nodeExporter));
    out.push('', 'RSS counts the pages of the node binary the process has touched (about 35 MiB for an idle `node`), which every Node process on the host shares; "own" is the process\'s private memory.', '');
  }
  if (report.notes.length > 0) out.push(`Left out: ${report.notes.join('; ')}.`, '');
  const promtool = report.results.filter((r) => r.promtool !== undefined).map((r) => `${TARGET_TITLES[r.target]} at ${r.agents}: ${r.promtool}`);
  if (promtool.length > 0) out.push(`promtool check metrics on one gzip scrape: ${promtool.join('; ')}.`, '');
  const failures = report.results.filter((r) => r.failedPushes > 0).map((r) => `${TARGET_TITLES[r.target]} at ${r.agents}: ${r.failedPushes} failed pushes (${r.firstError})`);
  if (failures.length > 0) out.push(`Failed pushes: ${failures.join('; ')}.`, '');
  return out.join('\n');
}
