// npm run bench:dashboards [-- --agents 200 --series 400 --minutes 15]
//
// Every panel and annotation query of every provisioned dashboard (grafana/dashboards/) against a
// real Prometheus holding a simulated fleet: the bench's simulator (bench/fleet/) pushes `agents`
// hosts to a real bridge every 5 s, Prometheus (Debian's) scrapes it every 15 s with the shipped
// rules (prometheus/rules/*.yml, recording rules included) for `minutes`, then each query runs as
// Grafana would run it (range over the data, 15 s step; instant for tables and stats), three times.
// Reports each query's time and series count, flags any over 1 s or over the series bound, and
// writes bench/results/<date>-dashboards.{md,json}. A measurement, not a test: the machine is shared.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CycleDriver, sleep } from './fleet/cycle-driver.js';
import { cpuSeconds } from './measure/proc-stats.js';
import { Fleet } from './fleet/fleet.js';
import { startBridge } from './systems/bridge.js';
import { which } from './systems/child.js';
import { startPrometheus } from './systems/prometheus.js';
import { dashboardQueries, type PanelQuery } from '../tests/integration/dashboard-queries.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '200' },
    series: { type: 'string', default: '400' },
    minutes: { type: 'string', default: '15' },
    runs: { type: 'string', default: '3' },
  },
});
const agents = Number(values.agents);
const series = Number(values.series);
const minutes = Number(values.minutes);
const runs = Number(values.runs);
const SLOW_SECONDS = 1;
// Fleet-level panels: one series per host at most (plus a few aggregates); one host's panels: far fewer.
const seriesBound = (q: PanelQuery) => (q.dashboard === 'Host' ? 100 : agents + 20);

interface Measured {
  dashboard: string;
  panel: string;
  refId: string;
  kind: 'range' | 'instant';
  series: number;
  /** Wall time of each run (HTTP round trip, as Grafana's backend would see it), seconds. */
  seconds: number[];
}

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[dashboards] ${line}`);
  // Every variable at All, except the Host dashboard's one host (and the Network dashboard's one
  // task, which the simulated fleet does not have: those panels measure an empty selection).
  const variables = { task: 'none' };
  const oneHost = dashboardQueries({ instance: 'host-00007', interval: '1m', variables }).filter((q) => q.dashboard === 'Host');
  const queries = [...dashboardQueries({ instance: '.+', interval: '1m', variables }).filter((q) => q.dashboard !== 'Host'), ...oneHost];
  const bridge = await startBridge(agents);
  const ruleFiles = readdirSync(join(ROOT, 'prometheus/rules')).filter((f) => f.endsWith('.yml') && !f.endsWith('.test.yml')).map((f) => join(ROOT, 'prometheus/rules', f));
  const prometheus = await startPrometheus({ job: 'fleetpulse', target: new URL(bridge.metricsUrl).host, intervalSeconds: 15, ruleFiles });
  let fleet: Fleet | undefined;
  let driver: CycleDriver | undefined;
  try {
    log(`${agents} simulated agents x ${series} series, pushing every 5 s to the bridge; Prometheus scrapes every 15 s with the shipped rules`);
    fleet = (await Fleet.start({ target: 'fleetpulse', port: bridge.ingestPort, agents, series, workers: 2, pushConnections: agents, lifetimeMs: (minutes + 10) * 60_000, idPrefix: 'host' })).fleet;
    driver = new CycleDriver(fleet, () => cpuSeconds(bridge.pid), 5000, 15_000);
    const begun = Date.now();
    while (Date.now() - begun < minutes * 60_000) {
      await sleep(30_000);
      log(`${((Date.now() - begun) / 60_000).toFixed(1)} of ${minutes} min, ${driver.cycles.length} cycles${driver.overran ? ' (a cycle overran)' : ''}`);
    }
    const end = Date.now() / 1000;
    const start = end - minutes * 60;
    const stored = await instant(prometheus.url, 'count({__name__=~".+"})');
    log(`${stored} series in Prometheus; running every query ${runs} times`);
    const measured: Measured[] = [];
    for (const q of queries) {
      const seconds: number[] = [];
      let count = 0;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        count = q.instant ? (await instantResult(prometheus.url, q.expr, end)).length : await rangeSeries(prometheus.url, q.expr, start, end, 15);
        seconds.push((performance.now() - t0) / 1000);
      }
      measured.push({ dashboard: q.dashboard, panel: q.panel, refId: q.refId, kind: q.instant ? 'instant' : 'range', series: count, seconds });
    }
    write(measured, stored, queries);
  } finally {
    await driver?.stop();
    await fleet?.stop();
    await prometheus.stop();
    await bridge.stop();
  }
}

function write(measured: Measured[], stored: number, queries: PanelQuery[]): void {
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const slow = measured.filter((m) => median(m.seconds) > SLOW_SECONDS);
  const wide = measured.filter((m, i) => m.series > seriesBound(queries[i]!));
  const lines = [
    `# Dashboard queries at ${agents} simulated hosts (${date})`,
    '',
    `\`npm run bench:dashboards -- --agents ${agents} --series ${series} --minutes ${minutes}\`: ${agents} simulated agents (bench/fleet/) x ${series} series`,
    `pushing every 5 s to a real bridge; Debian's Prometheus ${which('prometheus') ? '' : '(missing) '}scraping it every 15 s with`,
    `prometheus/rules/*.yml for ${minutes} minutes (${stored} series stored); then every panel and annotation query of`,
    `grafana/dashboards/ as Grafana runs it: range queries over those ${minutes} minutes at a 15 s step, instant ones for tables and`,
    `stats; Fleet overview and Network with every variable at All, Host with one host. Wall time of the HTTP round trip,`,
    `median of ${runs} runs. The 2-core machine was shared with other engineers' builds and tests while this ran.`,
    '',
    `**${measured.length} queries; slowest ${Math.max(...measured.map((m) => median(m.seconds))).toFixed(3)} s; over ${SLOW_SECONDS} s: ${slow.length}; over the series bound (${agents + 20} fleet-wide, 100 per host): ${wide.length}.**`,
    '',
    '| dashboard | panel | query | kind | series | median s | max s |',
    '| --- | --- | --- | --- | ---: | ---: | ---: |',
    ...measured.map((m) => `| ${m.dashboard} | ${m.panel} | ${m.refId} | ${m.kind} | ${m.series} | ${median(m.seconds).toFixed(3)} | ${Math.max(...m.seconds).toFixed(3)} |`),
    '',
  ];
  writeFileSync(join(dir, `${date}-dashboards.md`), lines.join('\n'));
  writeFileSync(join(dir, `${date}-dashboards.json`), `${JSON.stringify({ date, agents, series, minutes, runs, stored, measured }, null, 1)}\n`);
  console.log(lines.join('\n'));
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; error?: string; data: T };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error}`);
  return body.data;
}

function instantResult(base: string, expr: string, at: number): Promise<unknown[]> {
  return api<{ result: unknown[] }>(`${base}/api/v1/query?${new URLSearchParams({ query: expr, time: String(at) })}`).then((d) => d.result);
}

async function instant(base: string, expr: string): Promise<number> {
  const [sample] = (await instantResult(base, expr, Date.now() / 1000)) as { value: [number, string] }[];
  return Number(sample?.value[1] ?? 0);
}

async function rangeSeries(base: string, expr: string, start: number, end: number, step: number): Promise<number> {
  const data = await api<{ result: unknown[] }>(`${base}/api/v1/query_range?${new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) })}`);
  return data.result.length;
}

await main();
