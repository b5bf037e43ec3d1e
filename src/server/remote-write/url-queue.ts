import { backoffDelayMs } from '../../agent/backoff.js';
import type { Logger } from '../../log.js';
import type { TimerHandle, Timers } from '../../net/timers.js';
import type { PostResult } from './http-post.js';
import type { RemoteWriteMetrics } from './remote-write-metrics.js';
import type { EncodedBatch } from './write-request.js';
import { writeRequestBody } from './write-request.js';

// One receiver URL: a bounded queue of encoded batches and one request in flight at a time.
// Retryable failures (no answer, 5xx, 429) retry the same request with capped, jittered backoff,
// for as long as it takes: the agents hold the batches until every receiver has them, and the
// bound makes the bridge refuse new batches (FP_RETRY_LATER) rather than grow. Other answers
// (4xx) drop the request for good, counted and logged: retrying cannot make it acceptable.
// Live batches go before replayed ones and never share a request with them: a receiver without
// an out-of-order window refuses old samples, and would refuse the fresh ones with them.

/** A batch as one URL holds it; `settle` is called once when this URL is done with it. */
export interface QueuedBatch {
  readonly encoded: EncodedBatch;
  readonly timestampMs: number;
  /** Newer than anything applied to /metrics for its agent (else a replay from the agent's outbox). */
  readonly live: boolean;
  settle(): void;
}

/** Samples per request, as vmagent's -remoteWrite.maxRowsPerBlock (Prometheus sends 2000). */
export const MAX_SAMPLES_PER_REQUEST = 10_000;

export interface Sender {
  send(body: Buffer): Promise<PostResult>;
  close(): void;
}

type State = 'ok' | 'retrying' | 'rejecting';

export class UrlQueue {
  private readonly live: QueuedBatch[] = [];
  private readonly replay: QueuedBatch[] = [];
  private inFlight: QueuedBatch[] | undefined;
  private bytes = 0;
  private samples = 0;
  private attempt = 0;
  private highestSentMs = 0;
  private retryTimer: TimerHandle | undefined;
  private state: State = 'ok';
  /** Samples given up since the receiver last accepted a request (for the recovery log line). */
  private droppedSinceOk = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    /** The URL as shown in metrics and logs (no credentials). */
    readonly url: string,
    private readonly sender: Sender,
    private readonly limits: { queueBytes: number; retryMinMs: number; retryMaxMs: number },
    private readonly metrics: RemoteWriteMetrics,
    private readonly log: Logger,
    private readonly timers: Timers,
  ) {
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
    (batch.live ? this.live : this.replay).push(batch);
    this.bytes += batch.encoded.bytes.length;
    this.samples += batch.encoded.samples;
    this.gauges();
    this.pump();
  }

  /** Resolves when nothing is queued or in flight (or the queue is closed). */
  idle(): Promise<void> {
    if (this.bytes === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending; batches still queued are never settled (their agents keep them). */
  close(): void {
    this.closed = true;
    this.retryTimer?.cancel();
    this.sender.close();
    this.wakeIdle();
  }

  private pump(): void {
    if (this.closed || this.inFlight !== undefined || this.retryTimer !== undefined) return;
    const lane = this.live.length > 0 ? this.live : this.replay;
    if (lane.length === 0) return;
    const taken: QueuedBatch[] = [];
    let samples = 0;
    while (lane.length > 0 && (taken.length === 0 || samples + lane[0]!.encoded.samples <= MAX_SAMPLES_PER_REQUEST)) {
      const batch = lane.shift()!;
      taken.push(batch);
      samples += batch.encoded.samples;
    }
    this.inFlight = taken;
    this.attempt = 0;
    void this.sendRequest(taken, writeRequestBody(taken.map((b) => b.encoded.bytes)), samples);
  }

  private async sendRequest(batches: QueuedBatch[], body: Buffer, samples: number): Promise<void> {
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
      return this.finish(batches);
    }
    this.metrics.samplesFailed.inc({ url }, samples);
    if ('error' in result || result.status === 429 || result.status >= 500) {
      const delayMs = Math.max(backoffDelayMs(this.attempt, { initialMs: this.limits.retryMinMs, maxMs: this.limits.retryMaxMs }), Math.min('error' in result ? 0 : result.retryAfterMs ?? 0, this.limits.retryMaxMs));
      this.attempt++;
      this.changeState('retrying', 'error' in result ? { error: result.error } : { status: result.status, body: result.body });
      this.retryTimer = this.timers.setTimeout(() => {
        this.retryTimer = undefined;
        if (this.closed) return;
        this.metrics.samplesRetried.inc({ url }, samples);
        void this.sendRequest(batches, body, samples);
      }, delayMs);
      return;
    }
    // 4xx (but 429), or anything else a receiver should not answer: retrying cannot help.
    this.metrics.samplesDropped.inc({ url, reason: 'rejected' }, samples);
    this.droppedSinceOk += samples;
    this.changeState('rejecting', { status: result.status, body: result.body, samples });
    this.finish(batches);
  }

  private finish(batches: QueuedBatch[]): void {
    this.inFlight = undefined;
    for (const batch of batches) {
      this.bytes -= batch.encoded.bytes.length;
      this.samples -= batch.encoded.samples;
    }
    this.gauges();
    for (const batch of batches) batch.settle();
    if (this.bytes === 0) this.wakeIdle();
    this.pump();
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
