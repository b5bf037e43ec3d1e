import type { Logger } from '../../log.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { backgroundTimers, type Timers } from '../../net/timers.js';
import { RemoteWritePost } from './http-post.js';
import type { RemoteWriteMetrics } from './remote-write-metrics.js';
import type { RemoteWriteOptions } from './remote-write-options.js';
import { UrlQueue, type Sender } from './url-queue.js';
import { snappy, WriteRequestEncoder } from './write-request.js';

// The bridge's remote_write output: every agent batch, encoded once with the agent's own
// timestamp, goes to every URL's queue. The batch's `done` is called once every URL is done
// with it (the receiver answered 2xx, or refused it for good), which is when the agent gets
// its ack: until then the agent keeps the batch (docs/remote-write.md).

/** One agent batch offered for history. */
export interface HistoryBatch {
  /** The batch's families: read at once (a repeat changes their values in place afterwards). */
  readonly families: readonly RenderedFamily[];
  readonly timestampMs: number;
  /** Newer than anything /metrics shows for the agent (else a replay). */
  readonly live: boolean;
  /** The agent's record, as the key of its encoded-labels cache (dropped with the record). */
  readonly agent?: object | undefined;
}

/** queued: `done` will be called; full: some URL has no room (nothing was queued); closing: the bridge is stopping. */
export type OfferOutcome = 'queued' | 'full' | 'closing';

export class RemoteWrite {
  private readonly encoder: WriteRequestEncoder;
  private readonly queues: UrlQueue[];
  /** Each agent's shard key: its batches go out in order, different agents side by side. */
  private readonly shardKeys = new WeakMap<object, number>();
  private nextShardKey = 0;
  private closing = false;

  constructor(
    private readonly options: RemoteWriteOptions,
    metrics: RemoteWriteMetrics,
    private readonly log: Logger,
    timers: Timers = backgroundTimers,
    /** Tests may put another sender behind a URL. */
    senderFor: (url: URL) => Sender = (url) => new RemoteWritePost(url, options),
  ) {
    const extra: [string, string][] = Object.entries(options.externalLabels);
    if (options.job !== '' && !('job' in options.externalLabels)) extra.push(['job', options.job]);
    this.encoder = new WriteRequestEncoder(extra);
    if (snappy.fallbackReason === undefined) log.info('remote_write compresses with the native snappy', { snappy: snappy.library });
    else log.info('remote_write compresses with snappyjs (pure JS, about 5x the CPU per byte): the native snappy did not load', { snappy: snappy.library, reason: snappy.fallbackReason });
    this.queues = options.urls.map((raw) => {
      const url = new URL(raw);
      return new UrlQueue(shownUrl(url), senderFor(url), options, metrics, log, timers);
    });
  }

  /** The URLs as metrics and logs show them. */
  get urls(): string[] {
    return this.queues.map((q) => q.url);
  }

  /**
   * Queues a batch for every URL, or for none. Its families are read now (they change in place
   * afterwards). `done` is called once, when every URL is done with the batch.
   */
  offer(batch: HistoryBatch, done: () => void): OfferOutcome {
    if (this.closing) return 'closing';
    const encoded = this.encoder.encodeBatch(batch.families, batch.timestampMs, batch.agent);
    // Nothing to store (every family of the batch was refused): nothing to wait for.
    if (encoded.samples === 0) {
      done();
      return 'queued';
    }
    const full = this.queues.filter((q) => !q.hasRoom(encoded.size));
    if (full.length > 0) {
      for (const q of full) q.refused();
      return 'full';
    }
    let waiting = this.queues.length;
    const settle = (): void => {
      if (--waiting === 0) done();
    };
    const shardKey = batch.agent === undefined ? 0 : this.shardKeyOf(batch.agent);
    for (const q of this.queues) q.push({ encoded, timestampMs: batch.timestampMs, live: batch.live, shardKey, settle });
    return 'queued';
  }

  private shardKeyOf(agent: object): number {
    let key = this.shardKeys.get(agent);
    if (key === undefined) this.shardKeys.set(agent, (key = this.nextShardKey++));
    return key;
  }

  /**
   * Shutdown, first step: takes no more batches, sends what is queued without waiting for the
   * flush interval, and waits, at most the flush timeout, for the queues to empty (so their
   * agents still get acks). Then stops sending: whatever is left
   * stays unacknowledged, and the agents send it again to the next bridge.
   */
  async close(timers: Timers = backgroundTimers): Promise<void> {
    this.closing = true;
    for (const q of this.queues) q.flush();
    let timer: { cancel(): void } | undefined;
    const flushed = await Promise.race([
      Promise.all(this.queues.map((q) => q.idle())).then(() => true),
      new Promise<boolean>((resolve) => (timer = timers.setTimeout(() => resolve(false), this.options.flushTimeoutMs))),
    ]);
    timer?.cancel();
    if (!flushed) this.log.warn('remote_write queues not empty at shutdown; their batches stay with the agents, which send them again', { flush_timeout_ms: this.options.flushTimeoutMs });
    for (const q of this.queues) q.close();
  }
}

/** A URL without credentials or query (which may carry tokens), for metric labels and logs. */
export function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
