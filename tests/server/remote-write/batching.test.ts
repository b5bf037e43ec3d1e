import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/log.js';
import { RemoteWrite } from '../../../src/server/remote-write/remote-write.js';
import { RemoteWriteMetrics } from '../../../src/server/remote-write/remote-write-metrics.js';
import { REMOTE_WRITE_DEFAULTS, type RemoteWriteOptions } from '../../../src/server/remote-write/remote-write-options.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { TestReceiver } from '../../helpers/remote-write-receiver.js';
import { closedAfterEach, gaugeFamily, metricSum, offerBatch } from '../../helpers/remote-write-harness.js';

// How batches of many agents share requests, against a real HTTP receiver on loopback: the
// flush interval and the per-request sample limit decide when a request goes, several shards
// send side by side while each agent's batches stay in order. Time is a ManualTimers clock the
// test moves: a request that waits for the flush interval cannot go before the test advances it.

// Closed with real timers for the flush timeout: a test that failed half-way may leave a request held.
const { receivers, writers } = closedAfterEach();

async function setup(overrides: Partial<RemoteWriteOptions>) {
  const receiver = await TestReceiver.start();
  receivers.push(receiver);
  const registry = new Registry();
  const timers = new ManualTimers();
  const options: RemoteWriteOptions = { ...REMOTE_WRITE_DEFAULTS, urls: [receiver.url], externalLabels: {}, retryMinMs: 100, retryMaxMs: 100, ...overrides };
  const writer = new RemoteWrite(options, new RemoteWriteMetrics(registry), createLogger('error', {}, () => {}), timers);
  writers.push(writer);
  const metric = metricSum(registry);
  /** Each request's batches, as `<instance>@<timestamp>`, one entry per batch. */
  const requests = () => receiver.requests.map((r) => [...new Set(r.series.map((s) => `${s.labels.instance}@${s.samples[0]!.timestampMs}`))]);
  return { receiver, writer, timers, metric, requests };
}

const agents = new Map<string, object>();

/** One agent's batch of `series` samples (one family), offered; its ack as a promise and a flag. */
function offer(writer: RemoteWrite, instance: string, timestampMs: number, options: { live?: boolean; series?: number } = {}) {
  if (!agents.has(instance)) agents.set(instance, {});
  const family = gaugeFamily(timestampMs, options.series ?? 2, instance);
  const { outcome, done, acked } = offerBatch(writer, { families: [family], timestampMs, live: options.live ?? true, agent: agents.get(instance) });
  assert.equal(outcome, 'queued');
  return { done, acked };
}

describe('remote_write batching', () => {
  it('puts several agents\' batches into one request when the flush interval is up, and acks them on its 2xx', async () => {
    const { receiver, writer, timers, metric, requests } = await setup({ flushIntervalMs: 1000, concurrency: 1 });
    receiver.answer = () => 'hold';
    const start = timers.now();
    const batches = [offer(writer, 'a', 1000), offer(writer, 'b', 1000), offer(writer, 'c', 1000)];
    assert.deepEqual(timers.dueTimes(), [start + 1000], 'the first batch waits for the flush interval');
    timers.advance(999);
    const lastOne = offer(writer, 'd', 1000);
    timers.advance(1);
    await receiver.waitForRequests(1);
    assert.deepEqual(requests(), [['a@1000', 'b@1000', 'c@1000', 'd@1000']], 'one request with every batch queued in the interval');
    assert.equal(await metric('fleetpulse_remote_write_samples_pending'), 8);
    assert.ok([...batches, lastOne].every((b) => !b.acked()), 'no ack before the receiver answered');
    receiver.release(204);
    await Promise.all([...batches, lastOne].map((b) => b.done));
    assert.equal(await metric('fleetpulse_remote_write_samples_sent_total'), 8);
    assert.equal(await metric('fleetpulse_remote_write_requests_total', { status: '204' }), 1);
  });

  it('sends a request as soon as it holds the sample limit, without waiting for the interval', async () => {
    const { receiver, writer, timers, requests } = await setup({ flushIntervalMs: 1000, maxSamplesPerRequest: 4, concurrency: 1 });
    const first = [offer(writer, 'a', 1000), offer(writer, 'b', 1000)];
    await Promise.all(first.map((b) => b.done));
    const c = offer(writer, 'c', 1000);
    // c waits: a request of its own would come before d's, d fills the request up to the limit.
    const d = offer(writer, 'd', 1000);
    await Promise.all([c.done, d.done]);
    const e = offer(writer, 'e', 2000, { series: 5 });
    await e.done;
    assert.deepEqual(requests(), [['a@1000', 'b@1000'], ['c@1000', 'd@1000'], ['e@2000']], 'a batch above the limit goes alone');
    assert.equal(timers.armed, 0, 'nothing waits for the interval');
  });

  it('with an interval of 0, sends as soon as a request slot is free', async () => {
    const { receiver, writer, requests } = await setup({ flushIntervalMs: 0, concurrency: 1 });
    receiver.answer = (n) => (n === 0 ? 'hold' : { status: 204 });
    const a = offer(writer, 'a', 1000);
    await receiver.waitForRequests(1);
    const rest = [offer(writer, 'b', 1000), offer(writer, 'c', 1000)];
    receiver.release(204);
    await Promise.all([a.done, ...rest.map((b) => b.done)]);
    assert.deepEqual(requests(), [['a@1000'], ['b@1000', 'c@1000']], 'what queued meanwhile shares the next request');
  });

  it('keeps requests of several shards in flight at once, each agent\'s batches in their order', async () => {
    const { receiver, writer, requests } = await setup({ flushIntervalMs: 0, concurrency: 2 });
    receiver.answer = () => 'hold';
    const all = [offer(writer, 'a', 1000), offer(writer, 'b', 1000)];
    await receiver.waitForRequests(2);
    assert.deepEqual(requests().flat().sort(), ['a@1000', 'b@1000'], 'two agents, two requests in flight');
    for (let t = 2000; t <= 5000; t += 1000) all.push(offer(writer, 'a', t), offer(writer, 'b', t));
    const allDone = Promise.all(all.map((b) => b.done));
    let finished = false;
    void allDone.then(() => (finished = true));
    while (!finished) {
      receiver.release(204);
      const more = receiver.waitForRequests(receiver.requests.length + 1);
      more.catch(() => {}); // the acks may win the race
      await Promise.race([allDone, more]);
    }
    assert.equal(receiver.requests.length, 4, 'what queued behind a request in flight shares the next one');
    for (const agent of ['a', 'b']) {
      const times = requests().flat().filter((k) => k.startsWith(`${agent}@`)).map((k) => Number(k.split('@')[1]));
      assert.deepEqual(times, [1000, 2000, 3000, 4000, 5000], `agent ${agent}'s batches reach the receiver in order`);
    }
    assert.ok(receiver.requests.every((r) => new Set(r.series.map((s) => s.labels.instance)).size === 1), 'each shard carries its own agents');
  });

  it('sends a live batch before the next backlog request, without waiting for its interval', async () => {
    const { receiver, writer, requests } = await setup({ flushIntervalMs: 1000, maxSamplesPerRequest: 4, concurrency: 1 });
    receiver.answer = () => 'hold';
    const backlog = Array.from({ length: 6 }, (_, i) => offer(writer, 'a', 100 + i, { live: false }));
    await receiver.waitForRequests(1);
    const live = offer(writer, 'b', 5000);
    receiver.release(204);
    await receiver.waitForRequests(2);
    assert.deepEqual(requests()[1], ['b@5000'], 'the live batch before the rest of the backlog, alone');
    receiver.answer = () => ({ status: 204 });
    receiver.release(204);
    await Promise.all([live.done, ...backlog.map((b) => b.done)]);
    assert.deepEqual(requests(), [['a@100', 'a@101'], ['b@5000'], ['a@102', 'a@103'], ['a@104', 'a@105']]);
  });

  it('retries a failed request after its backoff, acking only on the 2xx; a 4xx drops it, counted', async () => {
    const { receiver, writer, timers, metric, requests } = await setup({ flushIntervalMs: 1000, concurrency: 1 });
    receiver.answer = (n) => (n === 0 ? { status: 503 } : n === 1 ? { status: 204 } : { status: 400, body: 'bad' });
    const batches = [offer(writer, 'a', 1000), offer(writer, 'b', 1000)];
    timers.advance(1000);
    await receiver.waitForRequests(1);
    while ((await metric('fleetpulse_remote_write_requests_total', { status: '503' })) === 0) await new Promise((r) => setImmediate(r)); // waits for the answer to be handled
    assert.ok(batches.every((b) => !b.acked()), 'a 503 acks nothing');
    assert.equal(timers.armed, 1, 'the retry waits for its backoff');
    timers.advance(100);
    await Promise.all(batches.map((b) => b.done));
    assert.deepEqual(requests(), [['a@1000', 'b@1000'], ['a@1000', 'b@1000']], 'the same request again');
    assert.equal(await metric('fleetpulse_remote_write_samples_retried_total'), 4);
    const refused = offer(writer, 'c', 2000);
    timers.advance(1000);
    await refused.done;
    assert.equal(await metric('fleetpulse_remote_write_samples_dropped_total', { reason: 'rejected' }), 2);
    assert.equal(await metric('fleetpulse_remote_write_samples_sent_total'), 4);
  });

  it('on close, sends what waits for the interval at once', async () => {
    const { receiver, writer, requests } = await setup({ flushIntervalMs: 60_000, concurrency: 2 });
    const batches = [offer(writer, 'a', 1000), offer(writer, 'b', 1000), offer(writer, 'c', 1000)];
    await writer.close(new ManualTimers());
    assert.ok(batches.every((b) => b.acked()), 'flushed and acked before stopping');
    assert.deepEqual(requests().flat().sort(), ['a@1000', 'b@1000', 'c@1000']);
    assert.equal(receiver.requests.length, 2, 'one request per shard');
  });
});
