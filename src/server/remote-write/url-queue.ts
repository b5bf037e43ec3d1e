import { backoffDelayMs } from '../../agent/backoff.js';
import type { Logger } from '../../log.js';
import type { TimerHandle, Timers } from '../../net/timers.js';
import type { PostResult } from './http-post.js';
import type { RemoteWriteMetrics } from './remote-write-metrics.js';
import { QueueShard, type BatchingLimits, type QueuedBatch } from './queue-shard.js';
import { writeRequestBody } from './write-request.js';

// One receiver URL: a bounded queue of encoded batches, in shards (queue-shard.ts) that each have
// one request in flight; a request carries the batches of many agents.
// Retryable failures (no answer, 5xx, 429) retry the same request with capped, jittered backoff,
// for as long as it takes: the agents hold the batches until every receiver has them, and the
// bound makes the bridge refuse new batches (FP_RETRY_LATER) rather than grow. Other answers
// (4xx) drop the request for good, counted and logged: retrying cannot make it acceptable.

export type { QueuedBatch } from './queue-shard.js';

/** Encoded bytes per request before compression, as vmagent's -remoteWrite.maxBlockSize. */
export const MAX_BYTES_PER_REQUEST = 8 * 1024 ** 2;

export interface Sender {
  send(body: Buffer): Promise<PostResult>;
  close(): void;
}

export interface UrlQueueLimits {
  queueBytes: number;
  retryMinMs: number;
  retryMaxMs: number;
  flushIntervalMs: number;
  maxSamplesPerRequest: number;
  /** Requests in flight at once (shards). */
  concurrency: number;
}

type State = 'ok' | 'retrying' | 'rejecting';

/** A shard's lanes and what it is doing: one request in flight, or waiting for a retry or the flush interval. */
interface Shard {
  readonly lanes: QueueShard;
  inFlight: boolean;
  attempt: number;
  retryTimer: TimerHandle | undefined;
  flushTimer: TimerHandle | undefined;
}

export class UrlQueue {
  private readonly shards: Shard[];
  private readonly batching: BatchingLimits;
  private bytes = 0;
  private samples = 0;
  private highestSentMs = 0;
  private state: State = 'ok';
  /** Samples given up since the receiver last accepted a request (for the recovery log line). */
  private droppedSinceOk = 0;
  private readonly idleWaiters: (() => void)[] = [];
  /** Shutdown: send whatever is queued without waiting for the flush interval. */
  private flushAll = false;
  private closed = false;

  constructor(
    /** The URL as shown in metrics and logs (no credentials). */
    readonly url: string,
    private readonly sender: Sender,
    private readonly limits: UrlQueueLimits,
    private readonly metrics: RemoteWriteMetrics,
    private readonly log: Logger,
    private readonly timers: Timers,
  ) {
    this.shards = Array.from({ length: Math.max(1, limits.concurrency) }, () => ({ lanes: new QueueShard(), inFlight: false, attempt: 0, retryTimer: undefined, flushTimer: undefined }));
    this.batching = { maxSamplesPerRequest: limits.maxSamplesPerRequest, maxBytesPerRequest: MAX_BYTES_PER_REQUEST, flushIntervalMs: limits.flushIntervalMs };
    metrics.queueBytesLimit.set({ url }, limits.queueBytes);
    metrics.samplesPending.set({ url }, 0);
    metrics.pendingBytes.set({ url }, 0);
    // Every series of the URL from the start, so the first failure already shows in rate().
    for (const counter of [metrics.samplesSent, metrics.samplesFailed, metrics.samplesRetried, metrics.batchesRefused]) counter.inc({ url }, 0);
    metrics.samplesDropped.inc({ url, reason: 'rejected' }, 0);
  }

  /** Whether a batch of `bytes` fits; an empty queue takes any one batch, however large. */
  hasRoom(bytes: number): boolean {
    return this.bytes === 0 || this.bytes + bytes <= this.limits.queueBytes;
  }

  /** Counts a batch refused for lack of room. */
  refused(): void {
    this.metrics.batchesRefused.inc({ url: this.url });
  }

  push(batch: QueuedBatch): void {
    const shard = this.shards[batch.shardKey % this.shards.length]!;
    shard.lanes.push(batch, this.timers.now());
    this.bytes += batch.encoded.size;
    this.samples += batch.encoded.samples;
    this.gauges();
    this.pump(shard);
  }

  /** Resolves when nothing is queued or in flight (or the queue is closed). */
  idle(): Promise<void> {
    if (this.bytes === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Shutdown, first step: sends everything queued now, not after the flush interval. */
  flush(): void {
    this.flushAll = true;
    for (const shard of this.shards) this.pump(shard);
  }

  /** Stops sending; batches still queued are never settled (their agents keep them). */
  close(): void {
    this.closed = true;
    for (const shard of this.shards) {
      shard.retryTimer?.cancel();
      shard.flushTimer?.cancel();
    }
    this.sender.close();
    this.wakeIdle();
  }

  private pump(shard: Shard): void {
    if (this.closed || shard.inFlight || shard.retryTimer !== undefined) return;
    const next = shard.lanes.next(this.timers.now(), this.batching, this.flushAll);
    if (next === undefined) return;
    if ('waitMs' in next) {
      shard.flushTimer ??= this.timers.setTimeout(() => {
        shard.flushTimer = undefined;
        this.pump(shard);
      }, next.waitMs);
      return;
    }
    shard.flushTimer?.cancel();
    shard.flushTimer = undefined;
    shard.inFlight = true;
    shard.attempt = 0;
    void this.sendRequest(shard, next.send, writeRequestBody(next.send.map((b) => b.encoded)), next.samples);
  }

  private async sendRequest(shard: Shard, batches: QueuedBatch[], body: Buffer, samples: number): Promise<void> {
    const url = this.url;
    const started = this.timers.now();
    const result = await this.sender.send(body);
    if (this.closed) return;
    this.metrics.requestDuration.observe({ url }, (this.timers.now() - started) / 1000);
    this.metrics.requests.inc({ url, status: 'status' in result ? String(result.status) : 'error' });
    if ('status' in result && result.status >= 200 && result.status < 300) {
      this.metrics.samplesSent.inc({ url }, samples);
      this.metrics.lastSuccess.set({ url }, this.timers.now() / 1000);
      for (const batch of batches) this.highestSentMs = Math.max(this.highestSentMs, batch.timestampMs);
      this.metrics.highestSent.set({ url }, this.highestSentMs / 1000);
      this.changeState('ok', undefined);
      return this.finish(shard, batches);
    }
    this.metrics.samplesFailed.inc({ url }, samples);
    if ('error' in result || result.status === 429 || result.status >= 500) {
      const delayMs = Math.max(backoffDelayMs(shard.attempt, { initialMs: this.limits.retryMinMs, maxMs: this.limits.retryMaxMs }), Math.min('error' in result ? 0 : result.retryAfterMs ?? 0, this.limits.retryMaxMs));
      shard.attempt++;
      this.changeState('retrying', 'error' in result ? { error: result.error } : { status: result.status, body: result.body });
      shard.retryTimer = this.timers.setTimeout(() => {
        shard.retryTimer = undefined;
        if (this.closed) return;
        this.metrics.samplesRetried.inc({ url }, samples);
        void this.sendRequest(shard, batches, body, samples);
      }, delayMs);
      return;
    }
    // 4xx (but 429), or anything else a receiver should not answer: retrying cannot help.
    this.metrics.samplesDropped.inc({ url, reason: 'rejected' }, samples);
    this.droppedSinceOk += samples;
    this.changeState('rejecting', { status: result.status, body: result.body, samples });
    this.finish(shard, batches);
  }

  private finish(shard: Shard, batches: QueuedBatch[]): void {
    shard.inFlight = false;
    for (const batch of batches) {
      this.bytes -= batch.encoded.size;
      this.samples -= batch.encoded.samples;
    }
    this.gauges();
    for (const batch of batches) batch.settle();
    if (this.bytes === 0) this.wakeIdle();
    this.pump(shard);
  }

  /** Logs once per change of state, not per request. */
  private changeState(next: State, detail: Record<string, string | number> | undefined): void {
    const previous = this.state;
    if (next === previous && next !== 'rejecting') return;
    this.state = next;
    if (next === 'ok') {
      this.log.info('remote_write receiver accepts writes again', { url: this.url, dropped_samples: this.droppedSinceOk });
      this.droppedSinceOk = 0;
    } else if (next === 'retrying') {
      this.log.warn('remote_write receiver not reachable or failing; retrying with backoff, agents keep their batches meanwhile', { url: this.url, ...detail });
    } else if (previous !== 'rejecting') {
      this.log.error('remote_write receiver rejected a request; its samples are dropped (a 4xx is not retried)', { url: this.url, ...detail });
    } else {
      this.log.debug('remote_write receiver rejected another request', { url: this.url, ...detail });
    }
  }

  private gauges(): void {
    this.metrics.samplesPending.set({ url: this.url }, this.samples);
    this.metrics.pendingBytes.set({ url: this.url }, this.bytes);
  }

  private wakeIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
