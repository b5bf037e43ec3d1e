import { after, afterEach } from 'node:test';
import type { Registry } from 'prom-client';
import { renderFamily } from '../../src/server/ingest/render-family.js';
import type { HistoryBatch, OfferOutcome, RemoteWrite } from '../../src/server/remote-write/remote-write.js';
import type { RenderedFamily } from '../../src/server/text-format/rendered-family.js';
import { defaultIngestLimits } from './bridge.js';
import type { TestReceiver } from './remote-write-receiver.js';

// What the RemoteWrite tests share: writers and receivers closed after each test, the queue's
// metrics summed by label, and batches of one gauge family offered with their acks observable.

/** Writers and receivers a test file starts, closed after each test (writers first, so acks settle). */
export function closedAfterEach(): { receivers: TestReceiver[]; writers: RemoteWrite[] } {
  const receivers: TestReceiver[] = [];
  const writers: RemoteWrite[] = [];
  // The queue's timers do not keep a process alive (a bridge has its listeners for that).
  const keepAlive = setInterval(() => {}, 60_000);
  after(() => clearInterval(keepAlive));
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.close();
    for (const r of receivers.splice(0)) await r.close();
  });
  return { receivers, writers };
}

/** The sum of a metric's values whose labels include `labels`. */
export function metricSum(registry: Registry) {
  return async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const values = (await registry.getSingleMetric(name)!.get()).values;
    return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
  };
}

const limits = defaultIngestLimits();

/** Family `x` of `series` gauges `{n="0"}`, `{n="1"}`, ... all at `value`, rendered for `instance`. */
export function gaugeFamily(value: number, series: number, instance: string): RenderedFamily {
  const samples = Array.from({ length: series }, (_, i) => ({ labels: { n: String(i) }, value }));
  return renderFamily({ name: 'x', type: 'gauge', help: '', samples }, `instance="${instance}"`, new Set(['instance', 'job']), limits, { remaining: 1 << 24 });
}

/** Offers a batch; its outcome, and its ack as a promise and a flag. */
export function offerBatch(writer: RemoteWrite, batch: HistoryBatch): { outcome: OfferOutcome; done: Promise<void>; acked: () => boolean } {
  let acked = false;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const outcome = writer.offer(batch, () => {
    acked = true;
    resolve();
  });
  return { outcome, done, acked: () => acked };
}
