import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { BridgeConnection } from '../../../src/agent/connection.js';
import { Outbox } from '../../../src/agent/outbox/outbox.js';
import { createLogger } from '../../../src/log.js';
import { LineDecoder } from '../../../src/protocol/line-decoder.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { batch } from './helpers.js';

// Over real sockets to a real (in-process) bridge, through a relay this test cuts and restores
// to play the network outage: what the agent sends is read on the wire, what the bridge
// answers is its own.

interface WireBatch {
  seq: number;
  timestamp_ms: number;
  replay?: boolean;
}

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** A TCP relay to `target` on a fixed port, recording every metrics line the agent sends. */
async function relay(target: number) {
  const sent: WireBatch[] = [];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((agent) => {
      const bridge = connect(target, '127.0.0.1');
      for (const s of [agent, bridge]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      const decoder = new LineDecoder(1 << 24);
      agent.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) if (f.kind === 'line' && f.text.startsWith('{"type":"metrics"')) sent.push(JSON.parse(f.text) as WireBatch);
      });
      agent.pipe(bridge).pipe(agent);
      agent.on('close', () => bridge.destroy());
      bridge.on('close', () => agent.destroy());
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  };
  await listen();
  const cut = async () => {
    const closed = server!.listening ? new Promise<void>((r) => server!.close(() => r())) : Promise.resolve();
    for (const s of sockets) s.destroy();
    await closed;
  };
  cleanup.push(cut);
  return {
    get port() {
      return port;
    },
    sent,
    /** The network goes away: the listener closes and every connection through it drops. */
    cut,
    restore: listen,
  };
}

/** Polls a condition with a generous deadline (a hang becomes a failure; not a timing assertion). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function connection(ports: number[], outbox = new Outbox({ maxBytes: 8 << 20, maxAgeMs: 3_600_000, log: createLogger('error') })) {
  const conn = new BridgeConnection({
    bridges: ports.map((port) => ({ host: '127.0.0.1', port })),
    agentId: 'outbox-wire',
    agentVersion: 'test',
    labels: {},
    token: undefined,
    intervalMs: 1000,
    backoff: { initialMs: 20, maxMs: 100 },
    handshakeTimeoutMs: 5000,
    log: createLogger('error'),
    outbox,
    replay: { perSecond: 50, maxInFlight: 4 },
  });
  cleanup.push(() => conn.stop());
  return conn;
}

async function bridge(): Promise<TestBridge> {
  const b = await startTestBridge();
  cleanup.push(() => b.stop());
  return b;
}

const T0 = Date.now();

describe('outbox over real sockets', () => {
  it('through an outage: every batch reaches the bridge, the newest first, then the backlog oldest first; all acknowledged', async () => {
    const b = await bridge();
    const net = await relay(b.ingestPort);
    const conn = connection([net.port]);
    conn.start();
    await until(() => conn.state === 'connected', 'connected');
    conn.offer(batch(1), T0 + 1000);
    await until(() => conn.outbox.size === 0, 'batch 1 acknowledged');

    await net.cut();
    await until(() => conn.state !== 'connected', 'the agent noticed the outage');
    for (let n = 2; n <= 11; n++) conn.offer(batch(n), T0 + n * 1000);
    assert.equal(conn.outbox.size, 10, 'ten batches wait');
    await net.restore();
    await until(() => conn.outbox.size === 0, 'the backlog acknowledged by the bridge');

    const seqs = net.sent.map((m) => m.seq);
    assert.deepEqual(seqs, [1, 11, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'newest first after the reconnect, then oldest first');
    assert.deepEqual(net.sent.map((m) => m.timestamp_ms), seqs.map((n) => T0 + n * 1000), 'each with its own collection time');
    assert.deepEqual(net.sent.map((m) => m.replay === true), [false, false, true, true, true, true, true, true, true, true, true]);
    assert.equal(conn.outbox.stats().replayed, 9);
    assert.equal(b.bridge.store.get('outbox-wire')?.connected, true);
  });

  it('moving to the next bridge carries the outbox along', async () => {
    const [a, b] = [await bridge(), await bridge()];
    const [toA, toB] = [await relay(a.ingestPort), await relay(b.ingestPort)];
    await toB.cut(); // B is unreachable at first, so the agent starts on A
    const conn = connection([toA.port, toB.port]);
    conn.start();
    await until(() => conn.state === 'connected' && conn.bridge === `127.0.0.1:${toA.port}`, 'on bridge A');
    conn.offer(batch(1), T0 + 1000);
    await until(() => conn.outbox.size === 0, 'batch 1 acknowledged by A');
    await toA.cut();
    await until(() => conn.state !== 'connected', 'A lost');
    for (let n = 2; n <= 5; n++) conn.offer(batch(n), T0 + n * 1000);
    await toB.restore();
    await until(() => conn.outbox.size === 0, 'the outbox delivered to B');
    assert.equal(conn.bridge, `127.0.0.1:${toB.port}`);
    assert.deepEqual(toA.sent.map((m) => m.seq), [1]);
    assert.deepEqual(toB.sent.map((m) => m.seq), [5, 2, 3, 4], 'B got what A never had, newest first');
  });
});
