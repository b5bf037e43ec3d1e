import { ProtocolError, protocolError } from '../../protocol/error-codes.js';
import { renderLabelPairs } from '../text-format/format.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timeout.js';
import { EMPTY_SUMMARY, SUMMARY_FAMILIES, summarize, type AgentSummary } from './agent-summary.js';
import { FamilyCatalog } from './family-catalog.js';
import { parseRenderedFamily } from './rendered-samples.js';
import { ShardPlanner, type Shard } from './shard-planner.js';

// The store is the only place that knows agents and their series. Contract:
// - connect() marks an agent up and returns a lease; only that lease's disconnect() counts,
//   so an old connection closing after a newer one took over changes nothing.
// - disconnect() sets up=0 at once; the agent's series stay for the grace period and are
//   then dropped (Prometheus marks them stale); a reconnect within it continues seamlessly.
// - ingest() takes a batch the session has validated (ingest/batch-intake.ts) and replaces the
//   agent's snapshot family by family: families missing from the batch are dropped, a
//   rejected family keeps its previous value, and nothing of another agent is touched.
//   ingestRepeat() does the same for a batch that repeats the previous one with new values.
// - The agent record itself (up=0, last seen) stays until forgetMs after the disconnect,
//   so alerts on fleetpulse_agent_up == 0 keep firing instead of resolving by absence;
//   an agent that said goodbye (a deliberate stop) is forgotten with its series.

export interface AgentHello {
  id: string;
  address: string;
  agentVersion: string;
  protocol: number;
  labels: Record<string, string>;
  intervalMs: number;
}

export interface AgentRecord extends AgentHello {
  connected: boolean;
  connectedSince: number;
  lastSeen: number;
  disconnectedAt: number | undefined;
  batches: number;
  samplesReceived: number;
  series: number;
  lastError: string | undefined;
  /** CPU, memory and disk use from the latest batch, for the API and console. */
  summary: AgentSummary;
  /**
   * Makes `summary` come from these families' text when next read: batches on the repeat
   * path carry no parsed values, and most batches' summaries are never read.
   */
  summarizeLater(families: readonly RenderedFamily[]): void;
  /** `instance="id",k="v"` prefix of every line of this agent. */
  readonly labelPrefix: string;
  /** Label names samples may not use: reserved ones plus the static labels. */
  readonly forbiddenLabels: ReadonlySet<string>;
  readonly families: Map<string, RenderedFamily>;
  /** Where the agent's lines sit in the catalog: with agents pushing in the same window. */
  shard: Shard | undefined;
  /** Batches in a row that arrived outside the shard's window. */
  readonly shardMisses: { count: number };
  /**
   * The families of the last batch stored without rejections, in batch order: the layout a
   * repeat (same series, new values) is read against. Undefined until then.
   */
  layout: RenderedFamily[] | undefined;
  lease: number;
  expiryTimer: LongTimeout | undefined;
  forgetTimer: LongTimeout | undefined;
}

/** The labels every line of an agent carries, and the names its samples may not use. */
export interface AgentLabels {
  /** `instance="id",k="v"` prefix of every line of this agent. */
  readonly prefix: string;
  /** Reserved names plus the agent's static labels. */
  readonly forbidden: ReadonlySet<string>;
}

/** A family the session refused, with its name when it had a usable one. */
export interface RefusedFamily {
  readonly refused: ProtocolError;
  readonly name: string | undefined;
}

/** A metrics batch as the session validated it: each family in batch order, rendered or refused. */
export interface ValidBatch {
  /** Samples in the batch, valid or not. */
  readonly offered: number;
  readonly families: readonly (RenderedFamily | RefusedFamily)[];
  /** CPU, memory and disk use read from the batch's values. */
  readonly summary: AgentSummary;
}

/** What a repeat of the agent's last batch is read against (see ingest/repeat-batch.ts). */
export interface RepeatBasis {
  /** The families of the last batch, in batch order; their text is replaced in place. */
  readonly layout: readonly RenderedFamily[];
  readonly labelPrefix: string;
}

export interface IngestResult {
  /** Samples stored from this batch (not counting rejected families kept from before). */
  samples: number;
  /** Families rejected from this batch; the rest was stored. */
  rejected: ProtocolError[];
}

export interface AgentStoreOptions {
  /** Fixed grace period; when undefined, 3 of the agent's own intervals. */
  graceMs: number | undefined;
  forgetMs: number;
  maxSeriesPerAgent: number;
  now?: () => number;
}

export class AgentStore {
  private readonly agents = new Map<string, AgentRecord>();
  readonly catalog = new FamilyCatalog();
  readonly shards = new ShardPlanner();
  private nextLease = 1;
  /** Bumped on every change of exposed series, so renderers can cache. */
  version = 0;
  private readonly now: () => number;

  constructor(private readonly options: AgentStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  connect(hello: AgentHello): number {
    const now = this.now();
    const previous = this.agents.get(hello.id);
    const lease = this.nextLease++;
    const labelsUnchanged = previous && sameLabels(previous.labels, hello.labels);
    if (previous && !labelsUnchanged) this.dropSeries(previous);
    if (previous) clearTimers(previous);
    const record: AgentRecord =
      previous && labelsUnchanged
        ? Object.assign(previous, hello, { connected: true, disconnectedAt: undefined, lease, connectedSince: now, lastSeen: now, lastError: undefined })
        : newRecord(hello, now, lease, previous);
    this.agents.set(hello.id, record);
    this.version++;
    return lease;
  }

  /** @param departed the agent said goodbye: forget it after the grace period, not forgetMs. */
  disconnect(id: string, lease: number, departed = false): void {
    const agent = this.agents.get(id);
    if (!agent || agent.lease !== lease || !agent.connected) return;
    agent.connected = false;
    agent.disconnectedAt = this.now();
    const graceMs = this.options.graceMs ?? 3 * agent.intervalMs;
    agent.expiryTimer = setLongTimeout(() => this.dropSeries(agent), graceMs);
    agent.forgetTimer = setLongTimeout(() => this.forget(id, lease), departed ? graceMs : Math.max(this.options.forgetMs, graceMs));
    this.version++;
  }

  touch(id: string): void {
    const agent = this.agents.get(id);
    if (agent) agent.lastSeen = this.now();
  }

  labelsOf(id: string): AgentLabels | undefined {
    const agent = this.agents.get(id);
    return agent && { prefix: agent.labelPrefix, forbidden: agent.forbiddenLabels };
  }

  /** Stores a validated batch as the agent's complete snapshot. */
  ingest(id: string, batch: ValidBatch): IngestResult {
    const agent = this.agents.get(id);
    if (!agent) throw new Error(`ingest for unknown agent ${id}`);
    const rejected: ProtocolError[] = [];
    const accepted = new Map<string, RenderedFamily>();
    const rejectedNames: string[] = [];
    for (const entry of batch.families) {
      const conflict = 'refused' in entry ? entry.refused : this.conflictOf(agent, entry, accepted);
      if (conflict === undefined) {
        accepted.set((entry as RenderedFamily).name, entry as RenderedFamily);
        continue;
      }
      rejected.push(conflict);
      if (entry.name !== undefined) rejectedNames.push(entry.name);
    }
    let samples = 0;
    for (const family of accepted.values()) samples += family.series;
    const next = new Map(accepted);
    // A rejected family keeps its previous value, while the series limit allows it.
    let held = samples;
    for (const name of rejectedNames) {
      const kept = agent.families.get(name);
      if (kept && !next.has(name) && held + kept.series <= this.options.maxSeriesPerAgent) {
        next.set(name, kept);
        held += kept.series;
      }
    }
    const now = this.now();
    if (next.size > 0) this.place(agent, now);
    this.replaceFamilies(agent, next);
    agent.layout = rejected.length === 0 ? [...accepted.values()] : undefined;
    agent.series = held;
    agent.batches++;
    agent.samplesReceived += batch.offered;
    agent.lastSeen = now;
    agent.lastError = rejected[0] === undefined ? undefined : `${rejected[0].spec.code}: ${rejected[0].message}`;
    agent.summary = batch.summary;
    return { samples, rejected };
  }

  /** The agent's last batch, when it was stored whole: what a repeat is read against. */
  repeatBasis(id: string): RepeatBasis | undefined {
    const agent = this.agents.get(id);
    const layout = agent?.layout;
    return layout && { layout, labelPrefix: agent.labelPrefix };
  }

  /**
   * Stores a batch that repeats the agent's last one with new values: `texts` has the new
   * lines of each family of the repeat basis, undefined where they did not change. Same
   * effect as ingest() of that batch.
   */
  ingestRepeat(id: string, texts: readonly (string | undefined)[], samples: number): void {
    const agent = this.agents.get(id);
    const layout = agent?.layout;
    if (!agent || !layout) throw new Error(`repeat for agent ${id} without a repeat basis`);
    const now = this.now();
    if (agent.shard) this.place(agent, now);
    let summaryChanged = false;
    for (let i = 0; i < layout.length; i++) {
      const text = texts[i];
      if (text === undefined) continue;
      const family = layout[i]!;
      family.text = text;
      this.catalog.changed(agent.shard!.id, family.name);
      if (SUMMARY_FAMILIES.has(family.name)) summaryChanged = true;
    }
    if (summaryChanged) agent.summarizeLater(layout);
    this.version++;
    agent.batches++;
    agent.samplesReceived += samples;
    agent.lastSeen = now;
    agent.lastError = undefined;
  }

  noteError(id: string, message: string): void {
    const agent = this.agents.get(id);
    if (agent) agent.lastError = message;
  }

  get(id: string): AgentRecord | undefined {
    return this.agents.get(id);
  }

  /** All known agents, connected or not, by id. */
  list(): AgentRecord[] {
    return [...this.agents.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.agents.size;
  }

  /** Cancels every timer, for a clean shutdown. */
  close(): void {
    for (const agent of this.agents.values()) clearTimers(agent);
  }

  /** Why a valid family cannot join the snapshot: it came twice, or other agents send it with another type. */
  private conflictOf(agent: AgentRecord, family: RenderedFamily, accepted: ReadonlyMap<string, RenderedFamily>): ProtocolError | undefined {
    if (accepted.has(family.name)) return protocolError('DUPLICATE_SERIES', `${family.name}: family appears twice in one batch`);
    const othersType = this.catalog.typeHeldByOthers(family.name, agent.id, agent.shard?.id);
    if (othersType !== undefined && othersType !== family.type) {
      return protocolError('TYPE_CONFLICT', `${family.name}: sent as ${family.type} but other agents send it as ${othersType}`);
    }
    return undefined;
  }

  private replaceFamilies(agent: AgentRecord, next: Map<string, RenderedFamily>): void {
    for (const name of agent.families.keys()) {
      if (!next.has(name)) this.catalog.remove(agent.id, agent.shard!.id, name);
    }
    agent.families.clear();
    for (const [name, family] of next) {
      agent.families.set(name, family);
      this.catalog.set(agent.id, agent.shard!.id, family);
    }
    this.version++;
  }

  /**
   * Gives the agent a shard by the phase its batches arrive at, or moves it when they have
   * kept arriving in another window (it restarted, or its clock moved).
   */
  private place(agent: AgentRecord, now: number): void {
    const shard = agent.shard;
    if (shard && !this.shards.misplaced(shard, now, agent.shardMisses)) return;
    if (shard) {
      for (const name of agent.families.keys()) this.catalog.remove(agent.id, shard.id, name);
      this.shards.leave(shard);
    }
    const placed = this.shards.join(agent.intervalMs, now);
    agent.shard = placed;
    agent.shardMisses.count = 0;
    for (const family of agent.families.values()) this.catalog.set(agent.id, placed.id, family);
  }

  private dropSeries(agent: AgentRecord): void {
    agent.expiryTimer = undefined;
    agent.layout = undefined;
    const shard = agent.shard;
    if (shard) {
      for (const name of agent.families.keys()) this.catalog.remove(agent.id, shard.id, name);
      this.shards.leave(shard);
      agent.shard = undefined;
    }
    if (agent.families.size === 0) return;
    agent.families.clear();
    agent.series = 0;
    agent.summary = EMPTY_SUMMARY;
    this.version++;
  }

  private forget(id: string, lease: number): void {
    const agent = this.agents.get(id);
    if (!agent || agent.lease !== lease || agent.connected) return;
    this.dropSeries(agent);
    clearTimers(agent);
    this.agents.delete(id);
    this.version++;
  }
}

function newRecord(hello: AgentHello, now: number, lease: number, previous: AgentRecord | undefined): AgentRecord {
  const staticLabels = Object.entries(hello.labels).sort(([a], [b]) => (a < b ? -1 : 1));
  let summary = previous?.summary ?? EMPTY_SUMMARY;
  let pending: readonly RenderedFamily[] | undefined;
  const record: Omit<AgentRecord, 'summary'> = {
    ...hello,
    connected: true,
    connectedSince: now,
    lastSeen: now,
    disconnectedAt: undefined,
    batches: previous?.batches ?? 0,
    samplesReceived: previous?.samplesReceived ?? 0,
    series: 0,
    lastError: undefined,
    summarizeLater: (families) => void (pending = families),
    labelPrefix: renderLabelPairs([['instance', hello.id], ...staticLabels]),
    forbiddenLabels: new Set(['instance', 'job', ...Object.keys(hello.labels)]),
    families: new Map(),
    shard: undefined,
    shardMisses: { count: 0 },
    layout: undefined,
    lease,
    expiryTimer: undefined,
    forgetTimer: undefined,
  };
  return Object.defineProperty(record, 'summary', {
    enumerable: true,
    get: (): AgentSummary => {
      if (pending) summary = summarize(pending.filter((f) => SUMMARY_FAMILIES.has(f.name)).map(parseRenderedFamily));
      pending = undefined;
      return summary;
    },
    set: (value: AgentSummary) => {
      summary = value;
      pending = undefined;
    },
  }) as AgentRecord;
}

function clearTimers(agent: AgentRecord): void {
  agent.expiryTimer?.cancel();
  agent.forgetTimer?.cancel();
  agent.expiryTimer = undefined;
  agent.forgetTimer = undefined;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
