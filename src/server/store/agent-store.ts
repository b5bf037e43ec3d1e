import type { ProtocolError } from '../../protocol/error-codes.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { backgroundTimers, type TimerHandle, type Timers } from '../../net/timers.js';
import { AgentLifecycle } from './agent-lifecycle.js';
import { Agent, currentIdConflict, type AgentHello, type AgentStatus } from './agent-record.js';
import { EMPTY_SUMMARY, type AgentSummary } from './agent-summary.js';
import type { FamilyCatalog } from './family-catalog.js';
import type { KnownAgent } from './known-agent.js';
import type { Shard, ShardPlanner } from './shard-planner.js';
import { SeriesStore, type AgentSeries, type IngestResult, type RepeatBatch, type ValidBatch } from './series-store.js';

// The store is the only place that knows agents: who they are (hello), their connection's
// life (agent-lifecycle.ts), their series (series-store.ts), and what the session measured
// of them (probe endpoint, clock offset). Routes, exposition and tasks read it through this
// API; the session (ingest/) is the only writer. Contract:
// - connect() returns a lease; writes for an older lease of the same agent change nothing.
// - ingest() takes a batch the session validated (ingest/batch-intake.ts) as the agent's
//   complete snapshot, unless it is older than the snapshot (a replay: nothing changes, see
//   isCurrent()); ingestRepeat() a repeat of the last one with new values. Both return the
//   batch's families for history (remote_write), which the session hands on.
// - disconnect() marks the agent down (or departed) at once; its series stay for the grace
//   period, the agent itself until it is forgotten (see agent-lifecycle.ts).
// - noteIdConflict() records a connection refused because another live agent holds the id.
// - known() / restore() carry the agents (not their series) across a restart of the bridge;
//   onChange() hears every change of who is known and in which state (not every batch).

/** The labels every line of an agent carries, and the names its samples may not use. */
export interface AgentLabels {
  readonly prefix: string;
  /** Reserved names plus the agent's static labels. */
  readonly forbidden: ReadonlySet<string>;
}

/** What a repeat of the agent's last batch is read against (see ingest/repeat-batch.ts). */
export interface RepeatBasis {
  /** The families of the last batch, in batch order. */
  readonly layout: readonly RenderedFamily[];
  readonly labelPrefix: string;
  /** Positions of the families the summary reads: the reader reports their new values. */
  readonly watched: ReadonlySet<number>;
  /** Changes with every change of the layout or its values: a copy of its values kept elsewhere is current while it stays. */
  readonly revision: number;
}

export interface AgentStoreOptions {
  /** Fixed grace period; when undefined, 3 of the agent's own intervals, at most maxGraceMs. */
  graceMs: number | undefined;
  maxGraceMs?: number;
  forgetMs: number;
  /** How long a departed agent stays listed; undefined: forgetMs. */
  departedForgetMs?: number | undefined;
  maxSeriesPerAgent: number;
  timers?: Timers;
}

export class AgentStore {
  private readonly agents = new Map<string, Agent>();
  private readonly lifecycle: AgentLifecycle;
  private readonly seriesStore: SeriesStore;
  private readonly changeListeners: (() => void)[] = [];

  constructor(options: AgentStoreOptions) {
    this.seriesStore = new SeriesStore(options.maxSeriesPerAgent);
    this.lifecycle = new AgentLifecycle(options, options.timers ?? backgroundTimers, {
      expired: (id) => {
        const agent = this.agents.get(id);
        if (agent) this.seriesStore.drop(agent.data);
      },
      forgotten: (id) => {
        const agent = this.agents.get(id);
        if (agent) this.seriesStore.drop(agent.data);
        this.agents.delete(id);
        this.changed();
      },
    });
  }

  /** Every agent family, for the exposition. */
  get catalog(): FamilyCatalog {
    return this.seriesStore.catalog;
  }

  get shards(): ShardPlanner {
    return this.seriesStore.shards;
  }

  /** Marks the agent connected (a new connection after its hello); returns the connection's lease. */
  connect(hello: AgentHello): number {
    const previous = this.agents.get(hello.id);
    const life = this.lifecycle.connect(hello.id);
    if (previous && sameLabels(previous.labels, hello.labels)) {
      previous.address = hello.address;
      previous.agentVersion = hello.agentVersion;
      previous.protocol = hello.protocol;
      previous.intervalMs = hello.intervalMs;
      previous.probeAddress = hello.probe;
      previous.measuredOffsetMs = undefined;
      previous.lastError = undefined;
      this.seriesStore.retime(previous.data, hello.intervalMs);
      this.changed();
      return life.lease;
    }
    // New static labels change every line of the agent: start its series afresh.
    let data: AgentSeries;
    if (previous) {
      this.seriesStore.drop(previous.data);
      data = this.seriesStore.create(hello.id, hello.intervalMs, previous.data.summary);
    } else {
      data = this.seriesStore.create(hello.id, hello.intervalMs);
    }
    const agent = new Agent(hello, life, data);
    agent.batches = previous?.batches ?? 0;
    agent.samplesReceived = previous?.samplesReceived ?? 0;
    this.agents.set(hello.id, agent);
    this.changed();
    return life.lease;
  }

  /** The lease's connection ended. @param departed the agent said goodbye (a deliberate stop). */
  disconnect(id: string, lease: number, departed = false): void {
    const agent = this.agents.get(id);
    if (agent && this.lifecycle.disconnect(id, lease, agent.intervalMs, departed)) this.changed();
  }

  /** Takes back agents a previous run knew, as down or departed (see agent-lifecycle.ts); returns how many are listed again. */
  restore(known: readonly KnownAgent[]): number {
    let restored = 0;
    for (const k of known) {
      if (this.agents.has(k.id)) continue;
      const life = this.lifecycle.restore(k.id, k, k.intervalMs);
      if (!life) continue;
      const hello: AgentHello = { id: k.id, address: k.address, agentVersion: k.agentVersion, protocol: k.protocol, labels: { ...k.labels }, intervalMs: k.intervalMs };
      this.agents.set(k.id, new Agent(hello, life, this.seriesStore.create(k.id, k.intervalMs)));
      restored++;
    }
    if (restored > 0) this.changed();
    return restored;
  }

  /** Every agent as a restart should see it again. */
  known(): KnownAgent[] {
    return this.list().map((a) => ({
      id: a.id,
      labels: a.labels,
      address: a.address,
      agentVersion: a.agentVersion,
      protocol: a.protocol,
      intervalMs: a.intervalMs,
      state: a.state,
      connectedSince: a.connectedSince,
      lastSeen: a.lastSeen,
      disconnectedAt: a.disconnectedAt,
    }));
  }

  /** Calls listener after an agent connects, goes down or departs, is forgotten or restored. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Heard from the agent (any frame). */
  touch(id: string): void {
    this.lifecycle.touch(id);
  }

  /** The session's latest estimate of the agent's clock minus the bridge's. */
  setClockOffset(id: string, lease: number, offsetMs: number | undefined): void {
    const agent = this.agents.get(id);
    if (agent && agent.life.lease === lease) agent.measuredOffsetMs = offsetMs;
  }

  labelsOf(id: string): AgentLabels | undefined {
    const agent = this.agents.get(id);
    return agent && { prefix: agent.labelPrefix, forbidden: agent.forbidden };
  }

  /** Stores a validated batch as the agent's complete snapshot, unless it is older than it (result.applied). */
  ingest(id: string, batch: ValidBatch): IngestResult {
    const agent = this.knownAgent(id);
    const result = this.seriesStore.store(agent.data, batch, this.lifecycle.now());
    agent.batches++;
    agent.samplesReceived += batch.offered;
    this.lifecycle.touch(id);
    const first = result.rejected[0];
    if (result.applied || first !== undefined) agent.lastError = first === undefined ? undefined : describe(first);
    return result;
  }

  /** Whether a batch of the agent's time `timestampMs` would become its snapshot (not older than the newest applied). */
  isCurrent(id: string, timestampMs: number): boolean {
    const agent = this.agents.get(id);
    return agent !== undefined && this.seriesStore.isCurrent(agent.data, timestampMs);
  }

  /** The agent's last batch, when it was stored whole: what a repeat is read against. */
  repeatBasis(id: string): RepeatBasis | undefined {
    const agent = this.agents.get(id);
    const layout = agent && this.seriesStore.layoutOf(agent.data);
    return layout && { layout, labelPrefix: agent.labelPrefix, watched: agent.data.summary.families, revision: this.seriesStore.revisionOf(agent.data) };
  }

  /**
   * Stores a repeat of the agent's last batch (read against repeatBasis(), current by
   * isCurrent()): same effect as ingest(). Returns the families with the repeat's values.
   */
  ingestRepeat(id: string, repeat: RepeatBatch): readonly RenderedFamily[] {
    const agent = this.knownAgent(id);
    const families = this.seriesStore.storeRepeat(agent.data, repeat, this.lifecycle.now());
    agent.batches++;
    agent.samplesReceived += repeat.samples;
    this.lifecycle.touch(id);
    agent.lastError = undefined;
    return families;
  }

  /**
   * A connection from `address` was refused because a live agent holds `id` (FP_ID_CONFLICT).
   * @returns true when this starts a conflict (none was current), so it is said loudly once
   */
  noteIdConflict(id: string, address: string): boolean {
    const agent = this.agents.get(id);
    if (!agent) return false;
    const now = this.lifecycle.now();
    const current = currentIdConflict(agent, now);
    agent.idConflict = { address, firstAtMs: current?.firstAtMs ?? now, lastAtMs: now, refused: (current?.refused ?? 0) + 1 };
    return current === undefined;
  }

  /** The store's clock (injected in tests). */
  now(): number {
    return this.lifecycle.now();
  }

  /** The latest error reported to the agent, for the API. */
  noteError(id: string, message: string): void {
    const agent = this.agents.get(id);
    if (agent) agent.lastError = message;
  }

  get(id: string): AgentStatus | undefined {
    return this.agents.get(id);
  }

  /** CPU, memory and disk use from the agent's latest batch. */
  summaryOf(id: string): AgentSummary {
    return this.agents.get(id)?.data.summary.summary() ?? EMPTY_SUMMARY;
  }

  /** The shard the agent's lines sit in (for tests and tuning). */
  shardOf(id: string): Shard | undefined {
    const agent = this.agents.get(id);
    return agent && this.seriesStore.shardOf(agent.data);
  }

  /** All known agents, connected or not, by id. */
  list(): AgentStatus[] {
    return [...this.agents.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.agents.size;
  }

  /** Series held by all agents together. */
  get seriesTotal(): number {
    return this.seriesStore.total;
  }

  /** Cancels every timer, for a clean shutdown. */
  close(): void {
    this.lifecycle.close();
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  private knownAgent(id: string): Agent {
    const agent = this.agents.get(id);
    if (!agent) throw new Error(`batch for unknown agent ${id}`);
    return agent;
  }
}

function describe(error: ProtocolError): string {
  return `${error.spec.code}: ${error.message}`;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
