import { join } from 'node:path';
import type { Logger } from '../log.js';
import { RESERVED_LABELS } from '../protocol/names.js';
import { collectAll } from './collect-all.js';
import { scavengeBeforeNextCollection } from './young-generation.js';
import { createCollectors } from './collectors/index.js';
import { createTextfileCollector } from './textfile/textfile-collector.js';
import type { Collector, CollectorOptions, HostPaths } from './collectors/types.js';
import { BridgeConnection, type ConnectionOptions } from './connection.js';
import { ProbeResponder } from './probes/index.js';
import { createResponderCollector } from './probes/responder-metrics.js';
import { outboxStatus, writeStatus } from './status-file.js';
import { TaskRunner } from './task-runner.js';
import { NO_IPV6 } from '../net/listen.js';
import { DEFAULT_MAX_AGE_MS, DEFAULT_MEMORY_MAX_BYTES, DEFAULT_REPLAY } from './outbox/defaults.js';
import { DiskStore } from './outbox/disk-store.js';
import { Outbox } from './outbox/outbox.js';
import { outboxFamilies } from './outbox/outbox-metrics.js';
import type { ReplayPolicy } from './outbox/outbox-sender.js';

/** The probe responder and what the agent advertises to peers (docs/tasks.md). */
export interface ProbeSettings {
  /** IP to bind; `::` falls back to 0.0.0.0 where IPv6 is unavailable. */
  bind: string;
  port: number;
  /** Host (and port) peers dial; undefined host: the local address of the bridge connection. */
  advertise: { host: string; port: number | undefined } | undefined;
}

export interface AgentOptions {
  connection: ConnectionOptions;
  intervalMs: number;
  collectorTimeoutMs: number;
  paths: HostPaths;
  collectors: string[];
  /** FLEETPULSE_NETSTAT_FIELDS, FLEETPULSE_VMSTAT_FIELDS; absent: node_exporter's defaults. */
  collectorOptions?: CollectorOptions | undefined;
  /** FLEETPULSE_TEXTFILE_DIR: *.prom files to send with every batch; undefined = no textfile collector. */
  textfileDir?: string | undefined;
  /** Where to write the status `fleetpulse agent --check` reads; undefined = none. */
  statusFile: string | undefined;
  /** undefined: no responder, no part in measurement tasks (FLEETPULSE_PROBES=off). */
  probes: ProbeSettings | undefined;
  log: Logger;
  /** FLEETPULSE_BUFFER_*; absent: in memory, default limits. */
  outbox?: OutboxSettings | undefined;
}

export interface OutboxSettings {
  /** FLEETPULSE_BUFFER_DIR; undefined: in memory. */
  dir: string | undefined;
  maxBytes: number;
  maxAgeMs: number;
  replay: ReplayPolicy;
}


/**
 * The agent's own subdirectory of FLEETPULSE_BUFFER_DIR: several agents (Compose replicas
 * sharing a volume) may share one, and a batch is only ever replayed under the id it was
 * collected for.
 */
export function outboxDir(bufferDir: string, agentId: string): string {
  return join(bufferDir, agentId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

/**
 * Collects every interval, whether or not the bridge is reachable, and hands each batch
 * to the connection, whose outbox keeps it until the bridge acknowledges it.
 */
export class Agent {
  readonly connection: BridgeConnection;
  private readonly collectors: Collector[];
  private responder: ProbeResponder | undefined;
  private readonly tasks: TaskRunner | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = new Set<string>();
  private statusFile: string | undefined;
  /** Completed collections, for status and tests. */
  collections = 0;
  lastCollectionAt = 0;

  constructor(private readonly options: AgentOptions) {
    this.statusFile = options.statusFile;
    const probes = options.probes;
    const runner = probes && new TaskRunner({ responder: { allow: (...a) => this.responder?.allow(...a), revoke: (id) => this.responder?.revoke(id) }, send: (m) => this.connection.sendTaskResult(m), log: options.log });
    this.tasks = runner;
    const buffer = options.outbox ?? { dir: undefined, maxBytes: DEFAULT_MEMORY_MAX_BYTES, maxAgeMs: DEFAULT_MAX_AGE_MS, replay: DEFAULT_REPLAY };
    this.connection = new BridgeConnection({
      ...options.connection,
      // Restores what a previous run left in FLEETPULSE_BUFFER_DIR (throws OutboxDirError if unusable).
      outbox: new Outbox({ maxBytes: buffer.maxBytes, maxAgeMs: buffer.maxAgeMs, disk: buffer.dir === undefined ? undefined : new DiskStore(outboxDir(buffer.dir, options.connection.agentId)), log: options.log }),
      replay: buffer.replay,
      ...(probes && runner
        ? {
            probe: () => {
              const bound = this.responder?.address();
              return bound && { ...(probes.advertise ? { address: probes.advertise.host } : {}), port: probes.advertise?.port ?? bound.port };
            },
            onTask: (message) => runner.handle(message),
          }
        : {}),
    });
    this.collectors = createCollectors(options.paths, options.collectors, options.collectorOptions);
    // Its counters from the responder once bound; until then (or if it cannot bind) no families.
    if (probes) this.collectors.push(createResponderCollector(() => this.responder?.counters()));
    if (options.textfileDir !== undefined) {
      const forbiddenLabels = new Set([...RESERVED_LABELS, ...Object.keys(options.connection.labels ?? {})]);
      this.collectors.push(createTextfileCollector({ dir: options.textfileDir, forbiddenLabels, log: options.log }));
    }
  }

  start(): void {
    this.options.log.info('agent starting', {
      agent: this.options.connection.agentId,
      bridges: this.options.connection.bridges.map((b) => `${b.host}:${b.port}`).join(','),
      interval_ms: this.options.intervalMs,
      collectors: this.collectors.map((c) => c.name).join(','),
    });
    void this.tick(Date.now());
    // The responder first, so the first hello can announce it; metrics are collected meanwhile.
    void this.startResponder().finally(() => {
      if (!this.stopped) this.connection.start();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.tasks?.stop();
    await Promise.all([this.connection.stop(), this.responder?.stop()]);
  }

  /** Binds the probe responder; a failure is logged and the agent carries on without tasks. */
  private async startResponder(): Promise<void> {
    const probes = this.options.probes;
    if (!probes) return;
    const { log } = this.options;
    for (const host of probes.bind === '::' ? ['::', '0.0.0.0'] : [probes.bind]) {
      const responder = new ProbeResponder({ host, port: probes.port });
      try {
        const bound = await responder.start();
        this.responder = responder;
        log.info('probe responder listening', { udp_tcp: `${host.includes(':') ? `[${host}]` : host}:${bound.port}` });
        return;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (host === '::' && NO_IPV6.has(e.code ?? '')) continue;
        log.error('probe responder cannot listen; this agent keeps collecting metrics but takes no part in measurement tasks', {
          address: `${host}:${probes.port}`,
          error: e.message,
          hint: e.code === 'EADDRINUSE' ? 'another process holds the port; set FLEETPULSE_PROBE_PORT' : 'check FLEETPULSE_PROBE_BIND and FLEETPULSE_PROBE_PORT, or set FLEETPULSE_PROBES=off',
        });
        return;
      }
    }
  }

  private async tick(scheduledAt: number): Promise<void> {
    if (this.stopped) return;
    const { families, failures } = await collectAll(this.collectors, { timeoutMs: this.options.collectorTimeoutMs });
    if (this.stopped) return;
    this.collections++;
    this.lastCollectionAt = Date.now();
    this.reportFailures(failures);
    const outbox = this.connection.outbox;
    families.push(...outboxFamilies(outbox.stats(), outbox.maxBytes, this.lastCollectionAt));
    this.connection.offer(families, this.lastCollectionAt);
    this.writeStatus();
    // Keep to the schedule without overlapping: a slow round skips ahead, never stacks up.
    let next = scheduledAt + this.options.intervalMs;
    const now = Date.now();
    if (next <= now) next = now + this.options.intervalMs - ((now - scheduledAt) % this.options.intervalMs);
    this.timer = setTimeout(() => void this.tick(next), next - now);
    scavengeBeforeNextCollection(next - now); // less RSS: young-generation.ts
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
        bridge: this.connection.bridge,
        outbox: outboxStatus(this.connection.outbox),
        ...(this.connection.problem === undefined ? {} : { problem: this.connection.problem }),
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
