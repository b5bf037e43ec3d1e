import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/log.js';
import { RemoteWrite } from '../../../src/server/remote-write/remote-write.js';
import { RemoteWriteMetrics } from '../../../src/server/remote-write/remote-write-metrics.js';
import { REMOTE_WRITE_DEFAULTS, type RemoteWriteOptions } from '../../../src/server/remote-write/remote-write-options.js';
import { TestPki } from '../../helpers/certs.js';
import { TestReceiver } from '../../helpers/remote-write-receiver.js';
import { closedAfterEach, gaugeFamily, metricSum, offerBatch } from '../../helpers/remote-write-harness.js';

// The queue against a real HTTP receiver on loopback: what is acked (done) when, what is
// retried, dropped and refused. Backoff is a few ms so retries happen at once; the tests wait
// for requests and acks, never for time.

const { receivers, writers } = closedAfterEach();

async function setup(overrides: Partial<RemoteWriteOptions> = {}, urls = 1, tls?: { cert: string; key: string }) {
  const rs = await Promise.all(Array.from({ length: urls }, () => TestReceiver.start(tls)));
  receivers.push(...rs);
  const registry = new Registry();
  const logs: string[] = [];
  const options: RemoteWriteOptions = { ...REMOTE_WRITE_DEFAULTS, urls: rs.map((r) => r.url), externalLabels: {}, retryMinMs: 2, retryMaxMs: 5, flushTimeoutMs: 2000, ...overrides };
  const writer = new RemoteWrite(options, new RemoteWriteMetrics(registry), createLogger('debug', {}, (line) => logs.push(line)));
  writers.push(writer);
  const metric = metricSum(registry);
  const exists = async (name: string, url: string): Promise<boolean> => (await registry.getSingleMetric(name)!.get()).values.some((v) => v.labels.url === url);
  return { receivers: rs, receiver: rs[0]!, writer, logs, metric, exists };
}

/** Offers a batch of agent a; returns the outcome and a promise of its ack. */
function offer(writer: RemoteWrite, value: number, timestampMs: number, live = true, series = 1) {
  return offerBatch(writer, { families: [gaugeFamily(value, series, 'a')], timestampMs, live });
}

describe('RemoteWrite', () => {
  it('acks a batch only once the receiver answered 2xx, with the spec\'s headers', async () => {
    const { receiver, writer, metric } = await setup();
    receiver.answer = () => 'hold';
    const b = offer(writer, 1, 1000);
    assert.equal(b.outcome, 'queued');
    await receiver.waitForRequests(1);
    assert.equal(b.acked(), false, 'the request is not answered yet');
    assert.equal(await metric('fleetpulse_remote_write_samples_pending'), 1);
    receiver.release(204);
    await b.done;
    const { headers, series } = receiver.requests[0]!;
    assert.equal(headers['content-encoding'], 'snappy');
    assert.equal(headers['content-type'], 'application/x-protobuf');
    assert.equal(headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.match(headers['user-agent']!, /^fleetpulse\//);
    assert.deepEqual(series[0]!.labels, { __name__: 'x', instance: 'a', job: 'fleetpulse', n: '0' });
    assert.deepEqual(series[0]!.samples, [{ value: 1, timestampMs: 1000 }]);
    assert.equal(await metric('fleetpulse_remote_write_samples_sent_total'), 1);
    assert.equal(await metric('fleetpulse_remote_write_samples_pending'), 0);
    assert.equal(await metric('fleetpulse_remote_write_highest_sent_timestamp_seconds'), 1);
  });

  it('retries 5xx, 429 and unreachable receivers until one takes the batch, logging the change once', async () => {
    const { receiver, writer, metric, logs } = await setup();
    const statuses = [500, 503, 429];
    receiver.answer = (n) => ({ status: statuses[n] ?? 200, body: 'try later' });
    const b = offer(writer, 1, 1000, true, 3);
    await b.done;
    assert.equal(receiver.requests.length, 4);
    assert.deepEqual(receiver.requests.map((r) => r.series.length), [3, 3, 3, 3], 'the same request each time');
    assert.equal(await metric('fleetpulse_remote_write_samples_retried_total'), 9);
    assert.equal(await metric('fleetpulse_remote_write_samples_failed_total'), 9);
    assert.equal(await metric('fleetpulse_remote_write_samples_sent_total'), 3);
    assert.equal(await metric('fleetpulse_remote_write_requests_total', { status: '500' }), 1);
    assert.equal(await metric('fleetpulse_remote_write_requests_total', { status: '429' }), 1);
    assert.equal(logs.filter((l) => l.includes('retrying with backoff')).length, 1, logs.join(''));
    assert.equal(logs.filter((l) => l.includes('accepts writes again')).length, 1, logs.join(''));
  });

  it('retries while nothing listens at the URL', async () => {
    const { receiver, writer, metric } = await setup();
    await receiver.close(); // nothing listens there now
    const b = offer(writer, 1, 1000);
    while ((await metric('fleetpulse_remote_write_requests_total', { status: 'error' })) < 2) await new Promise((r) => setTimeout(r, 5)); // polls a state, asserts nothing about time
    assert.equal(b.acked(), false, 'an unreachable receiver never acks');
  });

  it('drops a batch the receiver refuses with 400, counts it, logs the answer, and goes on', async () => {
    const { receiver, writer, metric, logs } = await setup();
    receiver.answer = (n) => (n === 0 ? { status: 400, body: 'out of bounds: sample too old' } : { status: 204 });
    const refused = offer(writer, 1, 1000, true, 2);
    await refused.done;
    assert.equal(await metric('fleetpulse_remote_write_samples_dropped_total', { reason: 'rejected' }), 2);
    const line = logs.find((l) => l.includes('rejected a request'));
    assert.ok(line, logs.join(''));
    assert.match(line, /status=400/);
    assert.match(line, /out of bounds: sample too old/);
    const next = offer(writer, 2, 2000);
    await next.done;
    assert.equal(receiver.requests.length, 2, 'the 400 was not retried');
    assert.equal(await metric('fleetpulse_remote_write_samples_sent_total'), 1);
  });

  it('refuses a batch, for every URL, when one URL\'s queue is full; memory stays within the bound', async () => {
    const { receivers: [fast, slow], writer, metric } = await setup({ queueBytes: 64 * 1024 }, 2);
    slow!.answer = () => 'hold';
    const first = offer(writer, 1, 1000, true, 100);
    await slow!.waitForRequests(1);
    const queued = [first];
    let b = offer(writer, 2, 2000, true, 100);
    for (let t = 3000; b.outcome === 'queued'; t += 1000) {
      queued.push(b);
      assert.ok((await metric('fleetpulse_remote_write_pending_bytes', { url: slow!.url })) <= 64 * 1024, 'within the bound');
      b = offer(writer, t, t, true, 100);
      assert.ok(queued.length < 1000, 'the queue must fill');
    }
    assert.equal(b.outcome, 'full');
    assert.equal(await metric('fleetpulse_remote_write_batches_refused_total', { url: slow!.url }), 1);
    await fast!.waitForRequests(1);
    assert.ok(queued.every((q) => !q.acked()), 'no batch is acked while one receiver lacks it');
    slow!.answer = () => ({ status: 204 });
    slow!.release(204);
    await Promise.all(queued.map((q) => q.done));
    const refusedTime = fast!.series.some((s) => s.samples.some((x) => x.timestampMs === (queued.length + 1) * 1000));
    assert.equal(refusedTime, false, 'the refused batch went to no URL');
  });

  it('acks a batch without samples at once, sending nothing', async () => {
    const { receiver, writer } = await setup();
    let acked = false;
    assert.equal(writer.offer({ families: [], timestampMs: 1000, live: true }, () => (acked = true)), 'queued');
    assert.equal(acked, true);
    await offer(writer, 1, 2000).done;
    assert.equal(receiver.requests.length, 1, 'only the batch with samples was sent');
  });

  it('sends live batches before replayed ones, never in one request', async () => {
    const { receiver, writer } = await setup();
    receiver.answer = (n) => (n === 0 ? 'hold' : { status: 204 });
    const first = offer(writer, 1, 10_000);
    await receiver.waitForRequests(1);
    const old1 = offer(writer, 2, 1000, false);
    const old2 = offer(writer, 3, 2000, false);
    const live = offer(writer, 4, 11_000, true);
    receiver.release(204);
    await Promise.all([first.done, old1.done, old2.done, live.done]);
    const times = receiver.requests.map((r) => r.series.map((s) => s.samples[0]!.timestampMs));
    assert.deepEqual(times, [[10_000], [11_000], [1000, 2000]]);
  });

  it('on close, waits for the queue to empty, then takes nothing more', async () => {
    const { receiver, writer } = await setup();
    receiver.answer = (n) => (n === 0 ? 'hold' : { status: 204 });
    const b = offer(writer, 1, 1000);
    await receiver.waitForRequests(1);
    const closing = writer.close();
    assert.equal(offer(writer, 2, 2000).outcome, 'closing');
    receiver.release(204);
    await closing;
    assert.equal(b.acked(), true, 'flushed before stopping');
  });

  it('on close, gives up after the flush timeout and leaves unsent batches unacked', async () => {
    const { receiver, writer, logs } = await setup({ flushTimeoutMs: 50 });
    receiver.answer = () => 'hold';
    const b = offer(writer, 1, 1000);
    await receiver.waitForRequests(1);
    await writer.close();
    assert.equal(b.acked(), false);
    assert.ok(logs.some((l) => l.includes('not empty at shutdown')), logs.join(''));
  });

  it('sends basic auth read from the password file, and the extra headers', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'fp-rw-'));
    writeFileSync(join(dir, 'password'), 's3cret\n');
    const { receiver, writer } = await setup({ username: 'bridge', passwordFile: join(dir, 'password'), headers: { 'X-Scope-OrgID': 'team-a' } });
    await offer(writer, 1, 1000).done;
    assert.equal(receiver.requests[0]!.headers.authorization, `Basic ${Buffer.from('bridge:s3cret').toString('base64')}`);
    assert.equal(receiver.requests[0]!.headers['x-scope-orgid'], 'team-a');
    // Rotated: the next request reads the file again.
    writeFileSync(join(dir, 'password'), 'n3w\n');
    await offer(writer, 2, 2000).done;
    assert.equal(receiver.requests[1]!.headers.authorization, `Basic ${Buffer.from('bridge:n3w').toString('base64')}`);
  });
});

describe('RemoteWrite over HTTPS', () => {
  const pki = new TestPki();
  const ca = pki.ca();
  const server = pki.leaf('receiver', 'server', ['127.0.0.1', 'localhost']);
  after(() => pki.remove());

  it('trusts a receiver signed by FLEETPULSE_REMOTE_WRITE_TLS_CA', async () => {
    const { receiver, writer } = await setup({ tlsCaFile: ca }, 1, server);
    await offer(writer, 1, 1000).done;
    assert.equal(receiver.requests.length, 1);
  });

  it('refuses (and keeps retrying) a receiver whose certificate it cannot verify, unless told to skip', async () => {
    const { writer, metric } = await setup({}, 1, server);
    const b = offer(writer, 1, 1000);
    while ((await metric('fleetpulse_remote_write_requests_total', { status: 'error' })) < 2) await new Promise((r) => setTimeout(r, 5)); // polls a state, asserts nothing about time
    assert.equal(b.acked(), false);
    const skipping = await setup({ insecureSkipVerify: true }, 1, server);
    await offer(skipping.writer, 1, 1000).done;
    assert.equal(skipping.receiver.requests.length, 1);
  });
});

describe('RemoteWrite metrics', () => {
  it('exist per URL at 0 before anything was sent, so the first failure shows in rate()', async () => {
    const { metric, receiver, exists } = await setup();
    for (const name of ['fleetpulse_remote_write_samples_sent_total', 'fleetpulse_remote_write_samples_failed_total', 'fleetpulse_remote_write_samples_dropped_total', 'fleetpulse_remote_write_batches_refused_total']) {
      assert.equal(await metric(name, { url: receiver.url }), 0, name);
      assert.ok(await exists(name, receiver.url), `${name}{url} is exposed`);
    }
  });
});
