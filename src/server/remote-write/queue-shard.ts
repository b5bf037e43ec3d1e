import type { EncodedBatch } from './write-request.js';

// One shard of a URL's queue: the batches of the agents that hash to it, in the order they came,
// and at most one request of them in flight. One agent always lands on the same shard, so its
// batches (and each of its series' samples) reach the receiver in order, as Prometheus' shards
// keep each series on one shard; several shards send side by side.
//
// What goes into the next request (vmagent's -remoteWrite.flushInterval and maxRowsPerBlock):
// batches wait until their lane holds a request's worth of samples or bytes, or its oldest batch
// has waited the flush interval, so one request carries many agents' batches. Live batches go
// before replayed ones and never share a request with them: a receiver without an out-of-order
// window refuses old samples, and would refuse the fresh ones with them.

/** A batch as one URL holds it; `settle` is called once when this URL is done with it. */
export interface QueuedBatch {
  readonly encoded: EncodedBatch;
  readonly timestampMs: number;
  /** Newer than anything applied to /metrics for its agent (else a replay from the agent's outbox). */
  readonly live: boolean;
  /** Batches with the same key go out in order (one key per agent). */
  readonly shardKey: number;
  settle(): void;
}

export interface BatchingLimits {
  /** Samples in one request (one batch larger than this goes alone). */
  readonly maxSamplesPerRequest: number;
  /** Encoded (uncompressed) bytes in one request (idem). */
  readonly maxBytesPerRequest: number;
  /** How long a batch may wait for others to share its request; 0: send as soon as the shard is free. */
  readonly flushIntervalMs: number;
}

/** The next step of a shard: a request to send now, a wait until its first batch falls due, or nothing queued. */
export type NextRequest = { readonly send: QueuedBatch[]; readonly samples: number } | { readonly waitMs: number } | undefined;

class Lane {
  readonly batches: QueuedBatch[] = [];
  /** When each batch was queued, by position. */
  readonly queuedAtMs: number[] = [];
  samples = 0;
  bytes = 0;

  push(batch: QueuedBatch, nowMs: number): void {
    this.batches.push(batch);
    this.queuedAtMs.push(nowMs);
    this.samples += batch.encoded.samples;
    this.bytes += batch.encoded.size;
  }

  /** Milliseconds until the lane should be sent (0: now); undefined when empty. */
  dueInMs(nowMs: number, limits: BatchingLimits, flushAll: boolean): number | undefined {
    if (this.batches.length === 0) return undefined;
    if (flushAll || this.samples >= limits.maxSamplesPerRequest || this.bytes >= limits.maxBytesPerRequest) return 0;
    return Math.max(0, this.queuedAtMs[0]! + limits.flushIntervalMs - nowMs);
  }

  /** The oldest batches up to a request's limits (at least one). */
  take(limits: BatchingLimits): { send: QueuedBatch[]; samples: number } {
    let count = 0;
    let samples = 0;
    let bytes = 0;
    for (const batch of this.batches) {
      if (count > 0 && (samples + batch.encoded.samples > limits.maxSamplesPerRequest || bytes + batch.encoded.size > limits.maxBytesPerRequest)) break;
      count++;
      samples += batch.encoded.samples;
      bytes += batch.encoded.size;
    }
    this.queuedAtMs.splice(0, count);
    this.samples -= samples;
    this.bytes -= bytes;
    return { send: this.batches.splice(0, count), samples };
  }
}

export class QueueShard {
  private readonly live = new Lane();
  private readonly replay = new Lane();

  push(batch: QueuedBatch, nowMs: number): void {
    (batch.live ? this.live : this.replay).push(batch, nowMs);
  }

  /**
   * What to send next: the live lane when it is due, or when anything is (a live batch never waits
   * behind a replay request), else the replay lane when it is due, else how long to wait.
   * @param flushAll send whatever is queued now (shutdown)
   */
  next(nowMs: number, limits: BatchingLimits, flushAll: boolean): NextRequest {
    const live = this.live.dueInMs(nowMs, limits, flushAll);
    const replay = this.replay.dueInMs(nowMs, limits, flushAll);
    if (live === 0 || (live !== undefined && replay === 0)) return this.live.take(limits);
    if (replay === 0) return this.replay.take(limits);
    if (live === undefined && replay === undefined) return undefined;
    return { waitMs: Math.min(live ?? Infinity, replay ?? Infinity) };
  }
}
