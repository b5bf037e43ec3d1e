import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, getText } from './http.js';
import { runCli, type RunningProcess } from './processes.js';
import type { ProxiedExchange } from './receiver-proxy.js';
import { decodeWriteRequest, timestampsIn } from './remote-write-body.js';
import { describeGaps, type GapReport, type SampleWindow } from './sample-gaps.js';
import type { VictoriaMetrics } from './victoria-metrics.js';

// What issue 11's outage tests share: an agent at a 1 s interval pushing to one or more bridge
// processes, what it says in its status file, a bridge's own metrics, and the order in which
// its batches reached the receiver.

export const INTERVAL_MS = 1000;

/** `fleetpulse agent` at INTERVAL_MS with one cheap collector, reconnecting within 2 s. */
export function startOutageAgent(id: string, bridgePorts: number[], statusDir: string, env: Record<string, string> = {}): RunningProcess {
  return runCli(['agent'], {
    FLEETPULSE_SERVER: bridgePorts.map((p) => `127.0.0.1:${p}`).join(','),
    FLEETPULSE_AGENT_ID: id,
    FLEETPULSE_INTERVAL: `${INTERVAL_MS}ms`,
    FLEETPULSE_COLLECTORS: 'loadavg',
    // The machine is shared and loaded: a collection may take long; it must not be failed for it.
    FLEETPULSE_COLLECTOR_TIMEOUT: '10s',
    FLEETPULSE_PROBES: 'off',
    FLEETPULSE_RECONNECT_MAX: '2s',
    FLEETPULSE_LOG_LEVEL: 'debug',
    FLEETPULSE_STATUS_FILE: join(statusDir, `${id}.json`),
    ...env,
  });
}

export interface AgentStatusFile {
  connection: string;
  bridge?: string;
  collections: number;
  last_collection_ms: number;
  outbox?: { batches: number; bytes: number; oldest_ms?: number; dropped: Record<string, number> };
}

/** The agent's status file (written after every collection), or undefined before the first. */
export function agentStatus(statusDir: string, id: string): AgentStatusFile | undefined {
  try {
    return JSON.parse(readFileSync(join(statusDir, `${id}.json`), 'utf8')) as AgentStatusFile;
  } catch {
    return undefined;
  }
}

/**
 * True once the agent's outbox holds nothing but the batch it just collected: the status file
 * is written right after each collection, before that batch can have been acknowledged.
 */
export function outboxDrained(statusDir: string, id: string): boolean {
  const batches = agentStatus(statusDir, id)?.outbox?.batches;
  return batches !== undefined && batches <= 1;
}

/** The sum of a bridge's own samples of `name` whose labels include `labels` (0 when none). */
export async function bridgeMetric(httpPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { text } = await getText(`http://127.0.0.1:${httpPort}/metrics`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Which request (by arrival index at the proxy) first brought each timestamp of one series. */
export function arrivals(exchanges: readonly ProxiedExchange[], series: Record<string, string>, fromIndex = 0): Map<number, number> {
  const firstSeen = new Map<number, number>();
  for (const exchange of exchanges.slice(fromIndex)) {
    if (exchange.answered !== 204 && exchange.answered !== 200) continue;
    for (const t of timestampsIn(decodeWriteRequest(exchange.body), series)) {
      if (!firstSeen.has(t)) firstSeen.set(t, exchange.index);
    }
  }
  return firstSeen;
}

export interface ReplayOrder {
  /** Arrival index of the first request after the restart that carried the series. */
  firstRequest: number;
  /** The timestamps it carried. */
  first: number[];
  /** Samples collected before the reconnect that came in later requests (the backlog). */
  backlogLater: number[];
  /** Requests the backlog took after the first. */
  backlogRequests: number;
}

/**
 * What arrived first after a reconnect: the requests from `fromIndex` on, for samples collected
 * before `reconnectedAtMs` (the backlog) and the one request that came first.
 */
export function replayOrder(exchanges: readonly ProxiedExchange[], series: Record<string, string>, fromIndex: number, reconnectedAtMs: number): ReplayOrder | undefined {
  const seen = arrivals(exchanges, series, fromIndex);
  if (seen.size === 0) return undefined;
  const firstRequest = Math.min(...seen.values());
  const first = [...seen].filter(([, i]) => i === firstRequest).map(([t]) => t).sort((a, b) => a - b);
  const later = [...seen].filter(([t, i]) => i > firstRequest && t < reconnectedAtMs);
  return {
    firstRequest,
    first,
    backlogLater: later.map(([t]) => t).sort((a, b) => a - b),
    backlogRequests: new Set(later.map(([, i]) => i)).size,
  };
}

/** A process whose output goes into a failure message. */
export interface NamedOutput {
  name: string;
  output(): string;
}

/**
 * Waits until `selector` has no gap over 2 intervals in `window` (and, with `drained`, the agent's
 * outbox is empty again); fails with the last gap report and the tail of each process's output.
 */
export async function waitForNoGap(
  vm: Pick<VictoriaMetrics, 'gapsOf'>,
  selector: string,
  window: SampleWindow,
  what: string,
  logs: NamedOutput[],
  drained?: { statusDir: string; id: string },
): Promise<GapReport> {
  let report: GapReport | undefined;
  await eventually(async () => {
    report = await vm.gapsOf(selector, window);
    return report.worstGapMs <= 2 * INTERVAL_MS && (!drained || outboxDrained(drained.statusDir, drained.id));
  }, 180_000, what).catch((err) => {
    throw new Error(`${String(err)}\n${report ? describeGaps(report) : 'no report'}\n${logs.map((l) => `${l.name}:\n${l.output().slice(-3000)}`).join('\n')}`);
  });
  return report!;
}
