import type { Logger } from '../log.js';
import { collectAll } from './collect-all.js';
import { createCollectors } from './collectors/index.js';
import type { Collector, HostPaths } from './collectors/types.js';
import { BridgeConnection, type ConnectionOptions } from './connection.js';
import { writeStatus } from './status-file.js';

export interface AgentOptions {
  connection: ConnectionOptions;
  intervalMs: number;
  collectorTimeoutMs: number;
  paths: HostPaths;
  collectors: string[];
  /** Where to write the status `fleetpulse agent --check` reads; undefined = none. */
  statusFile: string | undefined;
  log: Logger;
}

/**
 * Collects every interval, whether or not the bridge is reachable, and hands each
 * snapshot to the connection, which sends the newest one as soon as it can.
 */
export class Agent {
  readonly connection: BridgeConnection;
  private readonly collectors: Collector[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = new Set<string>();
  private statusFile: string | undefined;
  /** Completed collections, for status and tests. */
  collections = 0;
  lastCollectionAt = 0;

  constructor(private readonly options: AgentOptions) {
    this.statusFile = options.statusFile;
    this.connection = new BridgeConnection(options.connection);
    this.collectors = createCollectors(options.paths, options.collectors);
  }

  start(): void {
    this.options.log.info('agent starting', {
      agent: this.options.connection.agentId,
      bridge: `${this.options.connection.host}:${this.options.connection.port}`,
      interval_ms: this.options.intervalMs,
      collectors: this.collectors.map((c) => c.name).join(','),
    });
    this.connection.start();
    void this.tick(Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.connection.stop();
  }

  private async tick(scheduledAt: number): Promise<void> {
    if (this.stopped) return;
    const { families, failures } = await collectAll(this.collectors, { timeoutMs: this.options.collectorTimeoutMs });
    if (this.stopped) return;
    this.collections++;
    this.lastCollectionAt = Date.now();
    this.reportFailures(failures);
    this.connection.offer(families);
    this.writeStatus();
    // Keep to the schedule without overlapping: a slow round skips ahead, never stacks up.
    let next = scheduledAt + this.options.intervalMs;
    const now = Date.now();
    if (next <= now) next = now + this.options.intervalMs - ((now - scheduledAt) % this.options.intervalMs);
    this.timer = setTimeout(() => void this.tick(next), next - now);
  }

  private writeStatus(): void {
    const path = this.statusFile;
    if (path === undefined) return;
    try {
      writeStatus(path, {
        pid: process.pid,
        agent_id: this.options.connection.agentId,
        interval_ms: this.options.intervalMs,
        collections: this.collections,
        last_collection_ms: this.lastCollectionAt,
        connection: this.connection.state,
      });
    } catch (err) {
      // Health reporting must never stop collection; say it once.
      this.options.log.warn('cannot write status file; --check will report unhealthy', { path, error: (err as Error).message });
      this.statusFile = undefined;
    }
  }

  /** Logs when a collector starts or stops failing, not on every round. */
  private reportFailures(failures: { collector: string; error: string }[]): void {
    const now = new Set(failures.map((f) => f.collector));
    for (const f of failures) {
      if (!this.failing.has(f.collector)) this.options.log.warn('collector failed', { collector: f.collector, error: f.error });
    }
    for (const name of this.failing) {
      if (!now.has(name)) this.options.log.info('collector recovered', { collector: name });
    }
    this.failing = now;
  }
}
