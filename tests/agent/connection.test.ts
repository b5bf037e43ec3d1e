import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { BridgeConnection, type ConnectionOptions } from '../../src/agent/connection.js';
import { createLogger } from '../../src/log.js';
import { LineDecoder } from '../../src/protocol/line-decoder.js';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { FakeTimers } from '../helpers/fake-timers.js';

// Real sockets to a scripted bridge; the connection's clock and timers (handshake timeout,
// reconnect backoff, heartbeat) are a FakeTimers the test moves, so nothing here sleeps and
// "it did not reconnect" is proven by there being no timer left that could.

type Message = Record<string, unknown>;
/** What the scripted bridge does with a new connection. */
type Mode = 'welcome' | 'refuse' | 'silent';

interface FakeBridge {
  port: number;
  mode: Mode;
  heartbeatMs: number;
  messages: Message[];
  accepted: number;
  sockets: Set<Socket>;
  /** Resolves with the first message (already received or still to come) that matches. */
  next(match: (m: Message) => boolean): Promise<Message>;
  close(): Promise<void>;
}

/** A scripted bridge on a port the kernel picked: records every message of every connection. */
async function fakeBridge(onMessage: (m: Message, socket: Socket) => void = () => {}): Promise<FakeBridge> {
  const events = new EventEmitter();
  const server = createServer((socket) => {
    bridge.accepted++;
    if (bridge.mode === 'refuse') return void socket.destroy();
    bridge.sockets.add(socket);
    socket.on('close', () => bridge.sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new LineDecoder(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (f.kind !== 'line') continue;
        const m = JSON.parse(f.text) as Message;
        bridge.messages.push(m);
        if (m.type === 'hello' && bridge.mode === 'welcome') {
          socket.write(JSON.stringify({ type: 'welcome', protocol: 1, server_version: 'fake', heartbeat_ms: bridge.heartbeatMs, max_line_bytes: 1 << 20, max_series: 10_000 }) + '\n');
        }
        onMessage(m, socket);
        events.emit('message', m);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const bridge: FakeBridge = {
    port: (server.address() as AddressInfo).port,
    mode: 'welcome',
    heartbeatMs: 60_000,
    messages: [],
    accepted: 0,
    sockets: new Set(),
    next: (match) =>
      new Promise((resolve) => {
        const found = bridge.messages.find(match);
        if (found) return resolve(found);
        const listener = (m: Message) => {
          if (!match(m)) return;
          events.off('message', listener);
          resolve(m);
        };
        events.on('message', listener);
      }),
    close: () => {
      for (const s of bridge.sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
  return bridge;
}

const BACKOFF = { initialMs: 20, maxMs: 100 };
const HANDSHAKE_TIMEOUT_MS = 2000;

function options(port: number, timers: FakeTimers, overrides: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return {
    bridges: [{ host: '127.0.0.1', port }],
    agentId: 'conn-test',
    agentVersion: 'test',
    labels: { env: 'test' },
    token: 'tok',
    intervalMs: 1000,
    backoff: BACKOFF,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    log: createLogger('error'),
    timers,
    ...overrides,
  };
}

const snapshot = (value: number): MetricFamily[] => [{ name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value }] }];
const valueOf = (m: Message) => (m as { families: MetricFamily[] }).families[0]!.samples[0]!.value;
const hellos = (bridge: FakeBridge) => bridge.messages.filter((m) => m.type === 'hello').length;

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(cleanup.map((f) => f()));
});

/** A bridge and a connection to it on a fake clock, stopped and closed after the tests. */
async function setup(onMessage?: (m: Message, socket: Socket) => void) {
  const bridge = await fakeBridge(onMessage);
  const clock = new FakeTimers(1_800_000_000_000);
  const conn = new BridgeConnection(options(bridge.port, clock));
  cleanup.push(() => conn.stop(), () => bridge.close());
  return { bridge, clock, conn };
}

/** The connection is waiting to retry: its one pending timer is the backoff; fire it. */
async function fireRetry(conn: BridgeConnection, clock: FakeTimers): Promise<void> {
  await clock.waitUntil(() => conn.state === 'waiting', 'a reconnect scheduled');
  const [delayMs, ...rest] = clock.scheduled();
  assert.deepEqual(rest, [], 'while waiting, the backoff is the only timer');
  assert.ok(delayMs !== undefined && delayMs <= BACKOFF.maxMs, `backoff ${delayMs} ms within the cap ${BACKOFF.maxMs} ms`);
  clock.advance(delayMs);
}

describe('BridgeConnection', () => {
  it('says hello with id, labels, token and interval, then sends offered snapshots', async () => {
    const { bridge, clock, conn } = await setup();
    conn.start();
    await clock.waitUntil(() => conn.state === 'connected', 'connected');
    conn.offer(snapshot(1));
    await bridge.next((m) => m.type === 'metrics');
    const hello = bridge.messages[0]!;
    assert.deepEqual(
      { type: hello.type, protocol: hello.protocol, agent_id: hello.agent_id, labels: hello.labels, token: hello.token, interval_ms: hello.interval_ms },
      { type: 'hello', protocol: 1, agent_id: 'conn-test', labels: { env: 'test' }, token: 'tok', interval_ms: 1000 },
    );
  });

  it('keeps every snapshot while the bridge refuses it; back in, sends the newest first, then the rest, fresh ones at once', async () => {
    const { bridge, clock, conn } = await setup();
    bridge.mode = 'refuse';
    conn.start();
    for (let i = 1; i <= 5; i++) conn.offer(snapshot(i), clock.now());
    // Three refused attempts, each retried when the test fires the backoff timer.
    for (let attempt = 1; attempt <= 3; attempt++) {
      await clock.waitUntil(() => conn.state === 'waiting' && bridge.accepted === attempt, `refused attempt ${attempt}`);
      if (attempt < 3) await fireRetry(conn, clock);
    }
    bridge.mode = 'welcome';
    await fireRetry(conn, clock);
    await clock.waitUntil(() => conn.state === 'connected', 'connected');
    // The newest at once and the first of the backlog; a fresh snapshot is not queued behind the rest.
    conn.offer(snapshot(6), clock.now());
    await bridge.next((m) => m.type === 'metrics' && valueOf(m) === 6);
    for (let i = 0; i < 3; i++) clock.advance(200); // the backlog at the default 5 per second
    await bridge.next((m) => m.type === 'metrics' && valueOf(m) === 4);
    const metrics = bridge.messages.filter((m) => m.type === 'metrics');
    assert.deepEqual(metrics.map(valueOf), [5, 1, 6, 2, 3, 4]);
    assert.deepEqual(metrics.map((m) => m.replay === true), [false, true, false, true, true, true], 'the backlog is marked as replay');
    assert.deepEqual(metrics.map((m) => m.seq), [5, 1, 6, 2, 3, 4], 'each batch keeps the seq it got when collected');
    assert.equal(conn.outbox.size, 6, 'the fake bridge acknowledges nothing, so all six still wait');
  });

  it('forgets a batch on its ack, and keeps one the bridge asks to send later (FP_RETRY_LATER)', async () => {
    const { bridge, clock, conn } = await setup((m, socket) => {
      if (m.type !== 'metrics') return;
      const answer = m.seq === 1 && m.replay !== true ? { type: 'error', code: 'FP_RETRY_LATER', message: 'remote_write queue full', fatal: false, seq: 1 } : { type: 'ack', seq: m.seq, samples: 1 };
      socket.write(JSON.stringify(answer) + '\n');
    });
    conn.start();
    await clock.waitUntil(() => conn.state === 'connected', 'connected');
    conn.offer(snapshot(1), clock.now());
    await clock.waitUntil(() => clock.pending > 0 && conn.outbox.stats().batches === 1 && !conn.outbox.nextBacklog(Infinity)?.inFlight, 'batch 1 held back');
    conn.offer(snapshot(2), clock.now());
    await clock.waitUntil(() => conn.acked === 2, 'batch 2 acknowledged');
    assert.equal(conn.outbox.size, 1, 'batch 2 is gone, batch 1 waits');
    const [retryMs] = clock.scheduled().filter((ms) => ms < 60_000);
    assert.ok(retryMs !== undefined && retryMs >= 1000, `batch 1 waits at least 1 s (${retryMs} ms)`);
    clock.advance(retryMs);
    await clock.waitUntil(() => conn.outbox.size === 0, 'batch 1 sent again and acknowledged');
    assert.deepEqual(bridge.messages.filter((m) => m.type === 'metrics').map((m) => m.seq), [1, 2, 1]);
  });

  it('reconnects by itself after the bridge drops the connection', async () => {
    const { bridge, clock, conn } = await setup();
    conn.start();
    await clock.waitUntil(() => conn.state === 'connected', 'connected');
    for (const s of bridge.sockets) s.destroy();
    await fireRetry(conn, clock);
    await clock.waitUntil(() => conn.state === 'connected', 'connected again');
    assert.equal(hellos(bridge), 2);
  });

  it('gives up on a bridge that accepts but never welcomes after the handshake timeout, then retries', async () => {
    const { bridge, clock, conn } = await setup();
    bridge.mode = 'silent';
    conn.start();
    await bridge.next((m) => m.type === 'hello');
    assert.deepEqual(clock.scheduled(), [HANDSHAKE_TIMEOUT_MS], 'the handshake timeout is running');
    clock.advance(HANDSHAKE_TIMEOUT_MS - 1);
    assert.equal(conn.state, 'connecting', 'still waiting for the welcome 1 ms before the timeout');
    clock.advance(1);
    await fireRetry(conn, clock);
    await clock.waitUntil(() => hellos(bridge) === 2, 'a second hello');
  });

  it('pings an idle link and reconnects once the bridge has been silent for three heartbeats', async () => {
    const { bridge, clock, conn } = await setup();
    bridge.heartbeatMs = 1000;
    conn.start();
    await clock.waitUntil(() => conn.state === 'connected', 'connected');
    // From here the bridge says nothing: no acks, no pings, no pongs.
    bridge.mode = 'silent';
    clock.advance(1000);
    await bridge.next((m) => m.type === 'ping');
    clock.advance(2000);
    assert.equal(conn.state, 'connected', 'silent for exactly 3 heartbeats is still alive');
    clock.advance(1000);
    await clock.waitUntil(() => conn.state === 'waiting' && bridge.sockets.size === 0, 'dropped the silent link');
    // The bridge's socket has closed, so it has read everything that was sent on it.
    assert.equal(bridge.messages.filter((m) => m.type === 'ping').length, 3, 'one ping per idle heartbeat');
    bridge.mode = 'welcome';
    await fireRetry(conn, clock);
    await clock.waitUntil(() => conn.state === 'connected', 'connected again');
  });

  it('answers pings from the bridge with pongs carrying the ping\'s id and t0', async () => {
    const { bridge, conn } = await setup((m, socket) => {
      if (m.type === 'hello') socket.write(JSON.stringify({ type: 'ping', id: 42, t0: 1234 }) + '\n');
    });
    conn.start();
    const pong = await bridge.next((m) => m.type === 'pong');
    assert.equal(pong.id, 42);
    assert.equal(pong.t0, 1234);
    assert.ok(typeof pong.t1 === 'number' && typeof pong.t2 === 'number');
  });

  it('stop() says goodbye, closes the socket and leaves no timer that could reconnect', async () => {
    const { bridge, clock, conn } = await setup();
    conn.start();
    await clock.waitUntil(() => conn.state === 'connected', 'connected');
    await conn.stop();
    assert.equal(conn.state, 'stopped');
    assert.equal(clock.pending, 0, 'no backoff, handshake or heartbeat timer left');
    clock.advance(10 * BACKOFF.maxMs);
    await bridge.next((m) => m.type === 'goodbye');
    assert.equal(hellos(bridge), 1);
  });
});
