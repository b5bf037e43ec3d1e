import { ProtocolError, ProtocolErrors, protocolError } from '../../protocol/error-codes.js';
import type { AgentLabels, AgentStore } from '../store/agent-store.js';
import { SummaryInputs } from '../store/agent-summary.js';
import type { IngestResult, RefusedFamily, ValidBatch } from '../store/series-store.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { readRepeat, type LineTemplate } from './repeat-batch.js';
import { renderFamily } from './render-family.js';
import { MAX_BATCH_FUTURE_MS, type IngestLimits } from './ingest-limits.js';

// A metrics batch on its way from the session into the store: checked and rendered here,
// family by family, then stored. The store sees only validated families.

export type IntakeLimits = IngestLimits;

export interface RepeatResult {
  seq: number;
  samples: number;
  timestampMs: number;
  /** The agent's families with this batch's values: read them at once (they change in place). */
  families: readonly RenderedFamily[];
}

export class BatchIntake {
  /** A line of the agent's read against its layout, while the store holds that layout (by its revision, which each repeat this intake stores moves on). */
  private template: { agentId: string; revision: number; line: LineTemplate } | undefined;

  constructor(
    private readonly store: AgentStore,
    private readonly limits: IntakeLimits,
  ) {}

  /**
   * Validates a parsed batch's families and stores them as the agent's snapshot (unless the
   * batch is older than the snapshot: see IngestResult.applied). Throws ProtocolError when the
   * whole batch is refused (the previous snapshot stays).
   */
  batch(agentId: string, families: readonly unknown[], timestampMs: number): IngestResult {
    const labels = this.store.labelsOf(agentId);
    if (!labels) throw new Error(`batch for unknown agent ${agentId}`);
    const late = timestampProblem(timestampMs, this.store.now(), this.limits.maxBatchAgeMs);
    if (late !== undefined) throw protocolError('BAD_TIMESTAMP', late);
    const batch = validateBatch(families, timestampMs, labels, this.limits);
    // A replayed batch older than the snapshot is not held, so it counts against no limit of what is held.
    if (!this.store.isCurrent(agentId, timestampMs)) return this.store.ingest(agentId, batch);
    // Series of every other agent, plus this batch's, against the bridge's total.
    const others = this.store.seriesTotal - (this.store.get(agentId)?.series ?? 0);
    const offered = batch.families.reduce((n, f) => n + ('refused' in f ? 0 : f.series), 0);
    if (others + offered > this.limits.maxSeries) {
      throw protocolError('FLEET_SERIES_LIMIT', `the bridge holds ${others} series of other agents and this batch has ${offered}; the limit for all agents together is ${this.limits.maxSeries}; the previous snapshot stays`);
    }
    return this.store.ingest(agentId, batch);
  }

  /**
   * Stores a metrics line that repeats the agent's last batch with new values (see
   * repeat-batch.ts), without parsing it as JSON. Returns undefined when the line is not such
   * a repeat; the caller then parses it and calls batch(). Same effect as batch().
   */
  repeat(agentId: string, line: string): RepeatResult | undefined {
    const basis = this.store.repeatBasis(agentId);
    if (!basis) return undefined;
    const known = this.template;
    const template = known !== undefined && known.agentId === agentId && known.revision === basis.revision ? known.line : undefined;
    const repeat = readRepeat(line, basis.layout, basis.labelPrefix, basis.watched, template);
    // An older (replayed) or out-of-bounds batch takes the general path, which sorts it out.
    if (!repeat || !this.store.isCurrent(agentId, repeat.timestampMs)) return undefined;
    if (timestampProblem(repeat.timestampMs, this.store.now(), this.limits.maxBatchAgeMs) !== undefined) return undefined;
    const stored = this.store.ingestRepeat(agentId, repeat);
    const revision = this.store.repeatBasis(agentId)?.revision;
    this.template = revision === undefined ? undefined : { agentId, revision, line: repeat.template };
    return { seq: repeat.seq, samples: repeat.samples, timestampMs: repeat.timestampMs, families: stored };
  }
}

/**
 * Why a batch's timestamp_ms cannot be taken, by the bridge's clock: a stamp far ahead would
 * hold the agent's /metrics still until the clock caught up (batches are applied newest
 * first), and one beyond the age limit is refused by most receivers anyway.
 */
export function timestampProblem(timestampMs: number, nowMs: number, maxAgeMs: number): string | undefined {
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) return `timestamp_ms ${timestampMs} is not a whole number of milliseconds since the epoch`;
  if (timestampMs > nowMs + MAX_BATCH_FUTURE_MS) return `timestamp_ms ${timestampMs} is ${Math.round((timestampMs - nowMs) / 1000)} s ahead of the bridge's clock; at most ${MAX_BATCH_FUTURE_MS / 60_000} min are accepted`;
  if (timestampMs < nowMs - maxAgeMs) return `timestamp_ms ${timestampMs} is ${Math.round((nowMs - timestampMs) / 1000)} s old; batches older than ${Math.round(maxAgeMs / 1000)} s (FLEETPULSE_MAX_BATCH_AGE on the bridge) are refused`;
  return undefined;
}

/** Checks and renders each family of a batch; refuses the batch over the series or bytes limit. */
export function validateBatch(families: readonly unknown[], timestampMs: number, labels: AgentLabels, limits: IntakeLimits): ValidBatch {
  const offered = families.reduce<number>((n, f) => n + countSamples(f), 0);
  if (offered > limits.maxSeriesPerAgent) {
    throw protocolError('SERIES_LIMIT', `batch has ${offered} series; the limit per agent is ${limits.maxSeriesPerAgent}`);
  }
  const budget = { remaining: limits.maxBytesPerAgent };
  const checked: (RenderedFamily | RefusedFamily)[] = [];
  for (const raw of families) {
    try {
      checked.push(renderFamily(raw, labels.prefix, labels.forbidden, limits, budget));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      if (err.spec === ProtocolErrors.AGENT_BYTES_LIMIT) {
        throw protocolError('AGENT_BYTES_LIMIT', `the batch renders to more than ${limits.maxBytesPerAgent} bytes of exposition text (its labels repeat on every line); it was refused whole and the previous snapshot stays`);
      }
      checked.push({ refused: err, name: familyName(raw) });
    }
  }
  return { timestampMs, offered, families: checked, summary: SummaryInputs.of(families) };
}

function countSamples(raw: unknown): number {
  const samples = (raw as { samples?: unknown } | null)?.samples;
  return Array.isArray(samples) ? samples.length : 0;
}

function familyName(raw: unknown): string | undefined {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}
