import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../src/log.js';
import { MAX_HELLO_LINE_BYTES } from '../../../src/server/ingest/agent-session.js';
import type { BridgeOptions } from '../../../src/server/options.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// Hostile peers before and around the handshake, over real sockets against one bridge: each
// case ends with the real agent still connected and its series exactly as it sent them.

const load = (value: number) => ({ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value }] });

async function agent(t: TestBridge, id: string, extra: Record<string, unknown> = {}, localAddress?: string): Promise<LineClient> {
  const c = await LineClient.connect(t.ingestPort, '127.0.0.1', localAddress);
  c.hello(id, extra);
  await c.waitFor((m) => m.type === 'welcome');
  return c;
}

/** A bridge with the real agent connected, its node_load1 0.5 stored: what each hostile case must leave intact. */
async function bridgeWithRealAgent(options: Partial<BridgeOptions> = {}): Promise<{ t: TestBridge; real: LineClient }> {
  const t = await startTestBridge(options);
  const real = await agent(t, 'real');
  real.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [load(0.5)] });
  await real.waitFor((m) => m.type === 'ack');
  return { t, real };
}

async function stop(t: TestBridge, real: LineClient): Promise<void> {
  real.close();
  await t.stop();
}

async function realAgentIntact(t: TestBridge, real: LineClient): Promise<void> {
  assert.equal(real.closed, false, 'the real agent is still connected');
  const text = (await getText(`${t.url}/metrics`)).text;
  assert.match(text, /^node_load1\{instance="real"\} 0\.5$/m, 'its series are unchanged');
  assert.match(text, /^fleetpulse_agent_up\{instance="real"\} 1$/m);
}

function gauge(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('handshake pool: strangers cannot starve real agents', () => {
  let t: TestBridge;
  let real: LineClient;
  before(async () => ({ t, real } = await bridgeWithRealAgent({ maxConnections: 4, maxHandshakes: 6, maxHandshakesPerSource: 3, helloTimeoutMs: 60_000 })));
  after(() => stop(t, real));

  it('a source over its cap, then the whole pool, is refused on connect; connected agents never are', async () => {
    const silent: LineClient[] = [];
    for (let i = 0; i < 3; i++) silent.push(await LineClient.connect(t.ingestPort, '127.0.0.1', '127.0.0.9'));
    const overSource = await LineClient.connect(t.ingestPort, '127.0.0.1', '127.0.0.9');
    const refusal = await overSource.waitForError('FP_TOO_MANY_HANDSHAKES');
    assert.equal(refusal.fatal, true);
    assert.match(String(refusal.message), /from 127\.0\.0\.9 .*at most 3 per source/);
    await overSource.waitForClose();
    // Another source still gets in, until the pool is full.
    for (let i = 0; i < 3; i++) silent.push(await LineClient.connect(t.ingestPort, '127.0.0.1', '127.0.0.10'));
    const overPool = await LineClient.connect(t.ingestPort, '127.0.0.1', '127.0.0.11');
    assert.match(String((await overPool.waitForError('FP_TOO_MANY_HANDSHAKES')).message), /at most 6\)/);
    assert.equal(gauge((await getText(`${t.url}/metrics`)).text, 'fleetpulse_bridge_handshakes'), 6);
    await realAgentIntact(t, real);
    // A handshake that completes gives its place back at once.
    silent[0]!.hello('second');
    await silent[0]!.waitFor((m) => m.type === 'welcome');
    const next = await agent(t, 'third', {}, '127.0.0.12');
    next.close();
    for (const c of silent) c.close();
    await realAgentIntact(t, real);
  });

  it('a flood of 100 connections that never say hello leaves the real agent alone', async () => {
    const flood = await Promise.all(Array.from({ length: 100 }, () => LineClient.connect(t.ingestPort).catch(() => undefined)));
    const opened = flood.filter((c): c is LineClient => c !== undefined);
    // All but the three the per-source cap lets wait are told why and closed.
    // Generous: a deadline only so a broken bridge cannot hang the run (the machine may be loaded).
    const deadline = Date.now() + 120_000;
    while (opened.filter((c) => c.closed).length < opened.length - 3) {
      assert.ok(Date.now() < deadline, `${opened.filter((c) => c.closed).length} of ${opened.length} closed`);
      await Promise.race(opened.filter((c) => !c.closed).map((c) => c.waitForClose(1000).catch(() => {})));
    }
    assert.ok(opened.filter((c) => c.closed).every((c) => c.received.some((m) => m.code === 'FP_TOO_MANY_HANDSHAKES')));
    await realAgentIntact(t, real);
    for (const c of opened) c.close();
  });
});

describe('lines before the hello', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge();
  });
  after(() => t.stop());

  it('a long first line is refused when it crosses the hello limit, without waiting for its newline, and closed', async () => {
    const c = await LineClient.connect(t.ingestPort);
    c.sendRaw(`{"type":"hello","pad":"${'x'.repeat(MAX_HELLO_LINE_BYTES)}`); // no newline, ever
    const err = await c.waitForError('FP_LINE_TOO_LONG');
    assert.equal(err.fatal, true);
    assert.match(String(err.message), new RegExp(`limit of ${MAX_HELLO_LINE_BYTES} bytes before a hello`));
    await c.waitForClose();
  });

  it('after the hello, the bridge\'s full line limit applies', async () => {
    const c = await agent(t, 'big-batch');
    const pad = 'y'.repeat(2 * MAX_HELLO_LINE_BYTES);
    c.send({ type: 'metrics', seq: 5, timestamp_ms: Date.now(), families: [{ ...load(1), help: 'x', pad }] });
    await c.waitFor((m) => m.type === 'ack' && m.seq === 5);
    c.close();
  });
});

describe('failed authentications', () => {
  let t: TestBridge;
  const logged: string[] = [];
  before(async () => {
    t = await startTestBridge({ token: 'right-token', authFailuresPerMinute: 5, log: createLogger('info', {}, (line) => void logged.push(line)) });
  });
  after(() => t.stop());

  it('are refused per source once over the limit, logged once per source, and other sources still get in', async () => {
    for (let i = 0; i < 5; i++) {
      const guess = await LineClient.connect(t.ingestPort, '127.0.0.1', '127.0.0.20');
      guess.hello('guesser', { token: `guess-${i}` });
      await guess.waitForError('FP_AUTH_FAILED');
      await guess.waitForClose();
    }
    const limited = await LineClient.connect(t.ingestPort, '127.0.0.1', '127.0.0.20');
    limited.hello('guesser', { token: 'right-token' }); // even the right token: the source must wait
    const err = await limited.waitForError('FP_AUTH_RATE_LIMITED');
    assert.equal(err.fatal, true);
    await limited.waitForClose();
    assert.ok(!limited.received.some((m) => m.type === 'welcome'));
    const other = await agent(t, 'honest', { token: 'right-token' }, '127.0.0.21');
    other.close();
    const lines = logged.filter((l) => l.includes('msg="authentication failed"'));
    assert.equal(lines.length, 1, `one log line for five failures, got ${lines.length}`);
    assert.match(lines[0]!, /source=127\.0\.0\.20/);
    const text = (await getText(`${t.url}/metrics`)).text;
    assert.match(text, /^fleetpulse_bridge_frames_rejected_total\{reason="auth_failed"\} 5$/m);
    assert.match(text, /^fleetpulse_bridge_frames_rejected_total\{reason="auth_rate_limited"\} 1$/m);
  });
});

describe('an exception while handling one connection', () => {
  let t: TestBridge;
  let real: LineClient;
  before(async () => ({ t, real } = await bridgeWithRealAgent()));
  after(() => stop(t, real));

  it('closes that connection with FP_INTERNAL and a counted reason, never the process', async () => {
    // A fault injected into the real store, standing in for any bug a hostile batch could reach.
    const store = t.bridge.store;
    const ingest = store.ingest.bind(store);
    store.ingest = (id, families) => {
      if (id === 'trigger') throw new RangeError('Invalid string length');
      return ingest(id, families);
    };
    const c = await agent(t, 'trigger');
    c.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [load(9)] });
    const err = await c.waitForError('FP_INTERNAL');
    assert.equal(err.fatal, true);
    await c.waitForClose();
    assert.match((await getText(`${t.url}/metrics`)).text, /^fleetpulse_bridge_frames_rejected_total\{reason="internal_error"\} 1$/m);
    await realAgentIntact(t, real);
    real.send({ type: 'metrics', seq: 2, timestamp_ms: Date.now(), families: [load(0.5)] });
    await real.waitFor((m) => m.type === 'ack' && m.seq === 2);
  });
});
