import { ProtocolError, protocolError } from '../../protocol/error-codes.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { SummaryInputs } from './agent-summary.js';
import { FamilyCatalog } from './family-catalog.js';
import { ShardPlanner, type Shard } from './shard-planner.js';

// The agents' series: each agent's latest snapshot, family by family, filed in the catalog
// under the shard of its push window (see shard-planner.ts) for the exposition to read.

/** A family the session refused, with its name when it had a usable one. */
export interface RefusedFamily {
  readonly refused: ProtocolError;
  readonly name: string | undefined;
}

/** A metrics batch as the session validated it: each family in batch order, rendered or refused. */
export interface ValidBatch {
  /** The agent's own time of the batch. */
  readonly timestampMs: number;
  /** Samples in the batch, valid or not. */
  readonly offered: number;
  readonly families: readonly (RenderedFamily | RefusedFamily)[];
  /** Where the summary's figures sit in the batch, with their values. */
  readonly summary: SummaryInputs;
}

/** A batch that repeats the agent's last one with new values (see ingest/repeat-batch.ts). */
export interface RepeatBatch {
  readonly timestampMs: number;
  readonly samples: number;
  /** New values of the summary's families, by family position (see SummaryInputs). */
  readonly values: ReadonlyMap<number, readonly (number | undefined)[]>;
  /** Every changed sample: its position among all the batch's samples in order (ascending), and its new value. */
  readonly changes: { readonly at: readonly number[]; readonly to: readonly number[] };
}

export interface IngestResult {
  /** Samples taken from this batch (not counting rejected families kept from before). */
  samples: number;
  /** Families rejected from this batch; the rest was taken. */
  rejected: ProtocolError[];
  /** The families taken, in batch order: read them at once (a repeat changes their values in place). */
  families: readonly RenderedFamily[];
  /**
   * Whether the batch became the agent's snapshot (/metrics): false for a batch older than the
   * newest applied one (a replay from the agent's outbox), which goes to history only.
   */
  applied: boolean;
}

const NO_FAMILIES: readonly RenderedFamily[] = [];

/** One agent's series. Only this file changes it. */
export interface AgentSeries {
  readonly agentId: string;
  readonly intervalMs: number;
  /** The agent's families: the last batch's in its order, then rejected ones kept from before. */
  readonly families: readonly RenderedFamily[];
  /** Series held (rejected families keep their previous lines within the limit). */
  readonly series: number;
  readonly summary: SummaryInputs;
  /** The agent's timestamp of the newest batch applied to the snapshot (0: none since it was dropped). */
  readonly newestMs: number;
}

interface MutableSeries extends AgentSeries {
  intervalMs: number;
  families: readonly RenderedFamily[];
  series: number;
  summary: SummaryInputs;
  newestMs: number;
  /** Where the agent's lines sit in the catalog: with agents pushing in the same window. */
  shard: Shard | undefined;
  /** Batches in a row that arrived outside the shard's window. */
  shardMisses: { count: number };
  /**
   * The families of the last batch stored without rejections, in batch order: the layout a
   * repeat (same series, new values) is read against. Undefined until then.
   */
  layout: RenderedFamily[] | undefined;
  /** Counts every change of the layout or its values, so a reader can tell its copy is current. */
  revision: number;
}

export class SeriesStore {
  readonly catalog = new FamilyCatalog();
  readonly shards = new ShardPlanner();
  /** Series held by all agents together. */
  total = 0;

  constructor(private readonly maxSeriesPerAgent: number) {}

  /** An empty snapshot for an agent pushing every intervalMs. */
  create(agentId: string, intervalMs: number, summary = SummaryInputs.EMPTY): AgentSeries {
    const series: MutableSeries = { agentId, intervalMs, families: NO_FAMILIES, series: 0, summary, newestMs: 0, shard: undefined, shardMisses: { count: 0 }, layout: undefined, revision: 0 };
    return series;
  }

  /** The agent reconnected with another push interval: its next batch finds it a shard by it. */
  retime(agent: AgentSeries, intervalMs: number): void {
    (agent as MutableSeries).intervalMs = intervalMs;
  }

  /**
   * Whether a batch of this time may become the snapshot: it is not older than the newest one
   * applied, so /metrics never moves backwards when an agent replays its outbox.
   */
  isCurrent(agent: AgentSeries, timestampMs: number): boolean {
    return timestampMs >= agent.newestMs;
  }

  /**
   * Replaces the snapshot with a validated batch: families missing from it go, a rejected
   * family keeps its previous lines while the series limit allows, and nothing of another
   * agent is touched. A batch older than the snapshot (see isCurrent) changes nothing: its
   * families are only sorted out, for history.
   */
  store(agent: AgentSeries, batch: ValidBatch, nowMs: number): IngestResult {
    const s = agent as MutableSeries;
    const rejected: ProtocolError[] = [];
    const accepted = new Map<string, RenderedFamily>();
    const rejectedNames: string[] = [];
    for (const entry of batch.families) {
      const conflict = 'refused' in entry ? entry.refused : this.conflictOf(s, entry, accepted);
      if (conflict === undefined) {
        const family = entry as RenderedFamily;
        accepted.set(family.name, family);
        continue;
      }
      rejected.push(conflict);
      if (entry.name !== undefined) rejectedNames.push(entry.name);
    }
    let samples = 0;
    for (const family of accepted.values()) samples += family.series;
    const families = [...accepted.values()];
    if (!this.isCurrent(s, batch.timestampMs)) return { samples, rejected, families, applied: false };
    const next = new Map(accepted);
    let held = samples;
    // Looked up by name only here, when a family was refused: no map per agent is kept for it.
    const previous = rejectedNames.length > 0 ? new Map(s.families.map((f) => [f.name, f])) : undefined;
    for (const name of rejectedNames) {
      const kept = previous!.get(name);
      if (kept && !next.has(name) && held + kept.series <= this.maxSeriesPerAgent) {
        next.set(name, kept);
        held += kept.series;
      }
    }
    if (next.size > 0) this.place(s, nowMs);
    // Without kept families, `next` holds `families` in the same order: share that array.
    this.replaceFamilies(s, next, next.size === families.length ? families : [...next.values()]);
    s.layout = rejected.length === 0 ? families : undefined;
    s.revision++;
    this.total += held - s.series;
    s.series = held;
    s.summary = batch.summary;
    s.newestMs = batch.timestampMs;
    return { samples, rejected, families, applied: true };
  }

  /** The families a repeat of the agent's last batch is read against; undefined unless that batch was stored whole. */
  layoutOf(agent: AgentSeries): readonly RenderedFamily[] | undefined {
    return (agent as MutableSeries).layout;
  }

  /** Changes whenever the layout or any of its values does (see layoutOf()). */
  revisionOf(agent: AgentSeries): number {
    return (agent as MutableSeries).revision;
  }

  /**
   * Stores a repeat of the agent's last batch (read against layoutOf()): same effect as store()
   * of that batch. The caller checked isCurrent() (an older repeat takes the general path).
   * Returns the families, now holding the repeat's values.
   */
  storeRepeat(agent: AgentSeries, repeat: RepeatBatch, nowMs: number): readonly RenderedFamily[] {
    const s = agent as MutableSeries;
    const layout = s.layout;
    if (!layout) throw new Error(`repeat for agent ${s.agentId} without a layout`);
    if (!this.isCurrent(s, repeat.timestampMs)) throw new Error(`repeat for agent ${s.agentId} older than its snapshot`);
    s.newestMs = repeat.timestampMs;
    s.revision++;
    if (s.shard) this.place(s, nowMs);
    const { at, to } = repeat.changes;
    let c = 0;
    let first = 0; // position of the family's first sample in the batch
    for (let i = 0; i < layout.length && c < at.length; i++) {
      const family = layout[i]!;
      const end = first + family.series;
      if (at[c]! < end) {
        for (; c < at.length && at[c]! < end; c++) family.setValue(at[c]! - first, to[c]!);
        this.catalog.changed(s.shard!.id, family.name);
      }
      first = end;
    }
    if (repeat.values.size > 0) s.summary.update(repeat.values);
    return layout;
  }

  /** Drops the agent's series (it expired or is forgotten); returns false when it held none. */
  drop(agent: AgentSeries): boolean {
    const s = agent as MutableSeries;
    s.layout = undefined;
    s.revision++;
    // Its series are gone from /metrics: the next batch, whatever its time, shows it again.
    s.newestMs = 0;
    const shard = s.shard;
    if (shard) {
      for (const family of s.families) this.catalog.remove(s.agentId, shard.id, family.name);
      this.shards.leave(shard);
      s.shard = undefined;
    }
    if (s.families.length === 0) return false;
    s.families = NO_FAMILIES;
    this.total -= s.series;
    s.series = 0;
    s.summary = SummaryInputs.EMPTY;
    return true;
  }

  /** The shard the agent's lines sit in, if any (for tests and tuning). */
  shardOf(agent: AgentSeries): Shard | undefined {
    return (agent as MutableSeries).shard;
  }

  /** Why a valid family cannot join the snapshot: it came twice, or its type is not the known family's or the one other agents send. */
  private conflictOf(s: MutableSeries, family: RenderedFamily, accepted: ReadonlyMap<string, RenderedFamily>): ProtocolError | undefined {
    if (accepted.has(family.name)) return protocolError('DUPLICATE_SERIES', `${family.name}: family appears twice in one batch`);
    const required = this.catalog.typeRequired(family.name, s.agentId, s.shard?.id);
    if (required !== undefined && required.type !== family.type) {
      return protocolError(
        'TYPE_CONFLICT',
        required.known
          ? `${family.name}: sent as ${family.type}, but ${family.name} is a ${required.type}: the families of node_exporter and the fleetpulse agent keep the type the bridge knows them by`
          : `${family.name}: sent as ${family.type} but other agents send it as ${required.type}`,
      );
    }
    return undefined;
  }

  /** @param families the values of `next`, in its order */
  private replaceFamilies(s: MutableSeries, next: ReadonlyMap<string, RenderedFamily>, families: readonly RenderedFamily[]): void {
    for (const family of s.families) {
      if (!next.has(family.name)) this.catalog.remove(s.agentId, s.shard!.id, family.name);
    }
    s.families = families;
    for (const family of families) this.catalog.set(s.agentId, s.shard!.id, family);
  }

  /**
   * Gives the agent a shard by the phase its batches arrive at, or moves it when they have
   * kept arriving in another window (it restarted, or its clock moved).
   */
  private place(s: MutableSeries, nowMs: number): void {
    const shard = s.shard;
    if (shard && !this.shards.misplaced(shard, nowMs, s.shardMisses)) return;
    if (shard) {
      for (const family of s.families) this.catalog.remove(s.agentId, shard.id, family.name);
      this.shards.leave(shard);
    }
    const placed = this.shards.join(s.intervalMs, nowMs);
    s.shard = placed;
    s.shardMisses.count = 0;
    for (const family of s.families) this.catalog.set(s.agentId, placed.id, family);
  }
}
