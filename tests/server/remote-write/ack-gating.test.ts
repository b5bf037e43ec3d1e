import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { REMOTE_WRITE_DEFAULTS } from '../../../src/server/remote-write/remote-write-options.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';
import { TestReceiver } from '../../helpers/remote-write-receiver.js';

// A real bridge with remote_write to a real HTTP receiver on loopback, and a raw protocol
// client as the agent: the ack waits for the receiver, a full queue says FP_RETRY_LATER,
// replayed batches reach the receiver with their own time and leave /metrics alone.

const cleanup: (() => Promise<void> | void)[] = [];
const keepAlive = setInterval(() => {}, 60_000);
after(() => clearInterval(keepAlive));
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(queueBytes: number = REMOTE_WRITE_DEFAULTS.queueBytes): Promise<{ bridge: TestBridge; receiver: TestReceiver; agent: LineClient }> {
  const receiver = await TestReceiver.start();
  cleanup.push(() => receiver.close());
  const bridge = await startTestBridge({ remoteWrite: { ...REMOTE_WRITE_DEFAULTS, urls: [receiver.url], externalLabels: { region: 'eu' }, retryMinMs: 2, retryMaxMs: 5, queueBytes } });
  cleanup.push(() => bridge.stop());
  const agent = await LineClient.connect(bridge.ingestPort);
  cleanup.push(() => void agent.socket.destroy());
  agent.hello('web-1', { labels: { env: 'prod' } });
  const welcome = await agent.waitFor((m) => m.type === 'welcome');
  assert.equal(welcome.history, true, 'the welcome says acks wait for history');
  return { bridge, receiver, agent };
}

function metrics(seq: number, timestampMs: number, load: number, extra: Record<string, unknown> = {}) {
  return { type: 'metrics', seq, timestamp_ms: timestampMs, families: [{ name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value: load }] }], ...extra };
}

const isAck = (seq: number) => (m: Record<string, unknown>) => m.type === 'ack' && m.seq === seq;

describe('bridge with remote_write', () => {
  it('acks a batch once the receiver has it, with the agent\'s timestamp and the /metrics labels', async () => {
    const { bridge, receiver, agent } = await setup();
    receiver.answer = () => 'hold';
    const now = Date.now();
    agent.send(metrics(1, now, 0.5));
    await receiver.waitForRequests(1);
    assert.match((await getText(`${bridge.url}/metrics`)).text, /^node_load1\{instance="web-1",env="prod"\} 0\.5$/m, 'the live view has it at once');
    assert.equal(agent.received.some(isAck(1)), false, 'no ack before the receiver answered');
    receiver.release(200);
    await agent.waitFor(isAck(1));
    assert.deepEqual(receiver.series[0]!.labels, { __name__: 'node_load1', env: 'prod', instance: 'web-1', job: 'fleetpulse', region: 'eu' });
    assert.deepEqual(receiver.series[0]!.samples, [{ value: 0.5, timestampMs: now }]);
  });

  it('the repeat fast path acks through remote_write too, with the new values', async () => {
    const { receiver, agent } = await setup();
    const now = Date.now();
    agent.send(metrics(1, now, 1));
    agent.send(metrics(2, now + 1000, 2));
    await agent.waitFor(isAck(2));
    await agent.waitFor(isAck(1));
    const samples = receiver.series.flatMap((s) => s.samples);
    assert.deepEqual(samples.sort((a, b) => a.timestampMs - b.timestampMs), [{ value: 1, timestampMs: now }, { value: 2, timestampMs: now + 1000 }]);
  });

  it('sends a replayed older batch to the receiver only: /metrics keeps the newest values', async () => {
    const { bridge, receiver, agent } = await setup();
    const now = Date.now();
    agent.send(metrics(5, now, 5));
    await agent.waitFor(isAck(5));
    agent.send(metrics(3, now - 10_000, 3, { replay: true }));
    await agent.waitFor(isAck(3));
    assert.match((await getText(`${bridge.url}/metrics`)).text, /^node_load1\{instance="web-1",env="prod"\} 5$/m, '/metrics never moves backwards');
    const old = receiver.series.flatMap((s) => s.samples).find((s) => s.timestampMs === now - 10_000);
    assert.deepEqual(old, { value: 3, timestampMs: now - 10_000 });
  });

  it('answers FP_RETRY_LATER, without an ack, when the receiver\'s queue is full', async () => {
    const { bridge, receiver, agent } = await setup(64 * 1024);
    receiver.answer = () => 'hold';
    const now = Date.now();
    const big = (seq: number) => ({ ...metrics(seq, now + seq, seq), families: [{ name: 'x', type: 'gauge', help: '', samples: Array.from({ length: 200 }, (_, i) => ({ labels: { i: String(i) }, value: seq })) }] });
    let seq = 1;
    agent.send(big(seq));
    await receiver.waitForRequests(1);
    let refused: Record<string, unknown> | undefined;
    while (!refused) {
      seq++;
      assert.ok(seq < 200, 'the queue must fill');
      agent.send(big(seq));
      // Lines are handled in order: once the pong is back, the batch before it was handled.
      agent.send({ type: 'ping', id: seq, t0: Date.now() });
      await agent.waitFor((m) => m.type === 'pong' && m.id === seq);
      refused = agent.received.find((m) => m.type === 'error' && m.code === 'FP_RETRY_LATER');
    }
    assert.equal(refused.seq, seq);
    assert.match((await getText(`${bridge.url}/metrics`)).text, new RegExp(`^x\\{instance="web-1",env="prod",i="0"\\} ${seq}$`, 'm'), 'the live view has the refused batch');
    receiver.release(204);
    receiver.answer = () => ({ status: 204 });
    await agent.waitFor(isAck(seq - 1));
    assert.equal(agent.received.some(isAck(seq)), false, 'the refused batch is never acked');
  });

  it('refuses a batch stamped far in the future or too old with FP_BAD_TIMESTAMP, no ack', async () => {
    const { bridge, receiver, agent } = await setup();
    agent.send(metrics(1, Date.now() + 3_600_000, 9));
    const future = await agent.waitForError('FP_BAD_TIMESTAMP');
    assert.equal(future.seq, 1);
    assert.match(String(future.message), /ahead of the bridge's clock/);
    agent.send(metrics(2, Date.now() - 2 * 86_400_000, 8));
    const old = await agent.waitFor((m) => m.type === 'error' && m.seq === 2);
    assert.equal(old.code, 'FP_BAD_TIMESTAMP');
    agent.send(metrics(3, Date.now(), 1));
    await agent.waitFor(isAck(3));
    assert.equal(agent.received.some((m) => m.type === 'ack' && (m.seq === 1 || m.seq === 2)), false);
    assert.match((await getText(`${bridge.url}/metrics`)).text, /^node_load1\{instance="web-1",env="prod"\} 1$/m, 'the far-future stamp did not freeze the live view');
    assert.equal(receiver.series.length, 1, 'only the good batch went out');
  });
});
