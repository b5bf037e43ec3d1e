// The Node Exporter Full comparison: one real Prometheus scrapes Debian's node_exporter (default
// collectors) and our bridge fed by one agent on this same host; every panel query of the dashboard
// is evaluated for each, with the dashboard's variables set as Grafana would. A panel is filled
// when at least one of its queries returns data.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { fileQueries, type PanelQuery } from '../integration/dashboard-queries.js';
import { eventually } from '../helpers/http.js';
import { portToHandOut } from '../helpers/ports.js';
import { runCli, startBridgeProcess, type RunningProcess } from '../helpers/processes.js';
import { findBinary, startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';

export const DASHBOARD = fileURLToPath(new URL('../fixtures/third-party/node-exporter-full.json', import.meta.url));
export const NODE_EXPORTER = 'prometheus-node-exporter';
const AGENT_ID = 'parity-agent';
/** $__rate_interval: Grafana's minimum for a 15 s scrape interval; both targets are scraped every 1 s. */
const RATE_INTERVAL = '1m';
/** Samples of node_load1 each target must have before queries run, so rate() and irate() have data. */
const MIN_SAMPLES = 6;

export interface PanelOutcome {
  panel: string;
  nodeExporter: boolean;
  fleetpulse: boolean;
  /** Queries Prometheus refused, e.g. "fleetpulse B: bad_data: ...": a broken query is not empty data. */
  errors: string[];
}

export interface Comparison {
  panels: PanelOutcome[];
  nodeExporter: number;
  fleetpulse: number;
  /** Panels with at least one query. */
  total: number;
}

export interface Target {
  name: 'nodeExporter' | 'fleetpulse';
  job: string;
  instance: string;
}

/** Whether this host has what the comparison runs; the reason when it does not. */
export function missingBinaries(): string | undefined {
  const missing = (['prometheus', NODE_EXPORTER] as const).filter((b) => (b === NODE_EXPORTER ? which(b) : findBinary(b)) === undefined);
  return missing.length === 0 ? undefined : `not installed: ${missing.join(', ')} (apt-get install prometheus prometheus-node-exporter)`;
}

/** Starts everything, evaluates every panel for both targets, stops everything. */
export async function compareNodeExporterFull(log: (line: string) => void = () => {}): Promise<Comparison> {
  const stack = await startStack(log);
  try {
    log('waiting for both targets to have data');
    for (const t of stack.targets) await waitForSamples(stack.prometheus, t);
    log('evaluating every panel query');
    return await evaluate(stack.prometheus, stack.targets);
  } finally {
    await stack.stop();
  }
}

/** Evaluates the dashboard's queries against an already-running Prometheus. */
export async function evaluate(prometheus: TestPrometheus, targets: Target[]): Promise<Comparison> {
  const nodename = os.hostname();
  const perTarget = new Map<Target['name'], PanelQuery[]>();
  for (const t of targets) {
    perTarget.set(t.name, fileQueries(DASHBOARD, { instance: t.instance, interval: RATE_INTERVAL, variables: { job: t.job, node: t.instance, nodename } }));
  }
  const panels = new Map<string, PanelOutcome>();
  for (const t of targets) {
    for (const q of perTarget.get(t.name)!) {
      let outcome = panels.get(q.panel);
      if (outcome === undefined) panels.set(q.panel, (outcome = { panel: q.panel, nodeExporter: false, fleetpulse: false, errors: [] }));
      if (outcome[t.name]) continue;
      try {
        if ((await prometheus.query(q.expr)).length > 0) outcome[t.name] = true;
      } catch (err) {
        outcome.errors.push(`${t.name} ${q.refId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  const list = [...panels.values()];
  return {
    panels: list,
    nodeExporter: list.filter((p) => p.nodeExporter).length,
    fleetpulse: list.filter((p) => p.fleetpulse).length,
    total: list.length,
  };
}

/** The report the npm script prints. */
export function formatComparison(c: Comparison): string {
  const names = (pred: (p: PanelOutcome) => boolean): string[] => c.panels.filter(pred).map((p) => p.panel).sort();
  const lines = [
    `Node Exporter Full: ${c.total} panels with queries`,
    `  node_exporter fills ${c.nodeExporter}`,
    `  fleetpulse fills    ${c.fleetpulse}`,
    '',
    `Empty for fleetpulse, filled by node_exporter (${names((p) => p.nodeExporter && !p.fleetpulse).length}):`,
    ...names((p) => p.nodeExporter && !p.fleetpulse).map((n) => `  - ${n}`),
    `Empty for both (${names((p) => !p.nodeExporter && !p.fleetpulse).length}):`,
    ...names((p) => !p.nodeExporter && !p.fleetpulse).map((n) => `  - ${n}`),
    `Filled by fleetpulse only (${names((p) => p.fleetpulse && !p.nodeExporter).length}):`,
    ...names((p) => p.fleetpulse && !p.nodeExporter).map((n) => `  - ${n}`),
  ];
  const errors = c.panels.flatMap((p) => p.errors.map((e) => `  - ${p.panel}: ${e}`));
  if (errors.length > 0) lines.push(`Queries Prometheus refused (${errors.length}):`, ...errors);
  return lines.join('\n');
}

export interface Stack {
  prometheus: TestPrometheus;
  targets: Target[];
  stop(): Promise<void>;
}

export async function startStack(log: (line: string) => void): Promise<Stack> {
  const started: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const s of started.reverse()) await s();
  };
  try {
    // node_exporter cannot report a port it picked: it is handed one.
    const nodeExporterPort = await portToHandOut();
    log(`node_exporter on 127.0.0.1:${nodeExporterPort}`);
    const nodeExporter = spawnNodeExporter(nodeExporterPort);
    started.push(() => nodeExporter.kill());
    const { proc: bridge, ingestPort, httpPort } = await startBridgeProcess();
    started.push(() => stopGently(bridge));
    log(`bridge on 127.0.0.1:${ingestPort} (agents) and :${httpPort} (HTTP), agent "${AGENT_ID}"`);
    const agent = runCli(['agent'], {
      FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`,
      FLEETPULSE_AGENT_ID: AGENT_ID,
      FLEETPULSE_INTERVAL: '1s',
      FLEETPULSE_PROBES: 'off',
      ...(process.env.FLEETPULSE_TEXTFILE_DIR ? { FLEETPULSE_TEXTFILE_DIR: process.env.FLEETPULSE_TEXTFILE_DIR } : {}),
    });
    started.push(() => stopGently(agent));
    const prometheus = await startPrometheus(
      `127.0.0.1:${httpPort}`,
      `  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:${nodeExporterPort}']\n`,
    );
    started.push(() => prometheus.stop());
    return {
      prometheus,
      targets: [
        { name: 'nodeExporter', job: 'node', instance: `127.0.0.1:${nodeExporterPort}` },
        { name: 'fleetpulse', job: 'fleetpulse', instance: AGENT_ID },
      ],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function waitForSamples(prometheus: TestPrometheus, t: Target): Promise<void> {
  const expr = `count_over_time(node_load1{job="${t.job}",instance="${t.instance}"}[1m]) >= ${MIN_SAMPLES}`;
  await eventually(async () => (await prometheus.query(expr)).length > 0, 60_000, `${MIN_SAMPLES} scrapes of ${t.job}/${t.instance}`);
}

function spawnNodeExporter(port: number): { kill(): Promise<void> } {
  const binary = which(NODE_EXPORTER);
  if (binary === undefined) throw new Error(`${NODE_EXPORTER} is not installed (apt-get install prometheus-node-exporter)`);
  // Default collectors only, as a user who just installed it has them.
  const child = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function stopGently(p: RunningProcess): Promise<void> {
  const force = setTimeout(() => void p.kill('SIGKILL'), 5000);
  await p.kill('SIGTERM');
  clearTimeout(force);
}

function which(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? undefined : found;
}
