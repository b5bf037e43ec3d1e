import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { BridgeConnection, type ConnectionOptions } from '../../src/agent/connection.js';
import { createLogger } from '../../src/log.js';
import { LineDecoder } from '../../src/protocol/line-decoder.js';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { eventually } from '../helpers/http.js';
import { freePort } from '../helpers/processes.js';

/** A scripted bridge: welcomes every hello and records what each connection sent. */
function fakeBridge(port: number, onMessage: (m: Record<string, unknown>, socket: Socket) => void = () => {}): Promise<{ server: Server; messages: Record<string, unknown>[]; sockets: Set<Socket>; close(): Promise<void> }> {
  const messages: Record<string, unknown>[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new LineDecoder(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (f.kind !== 'line') continue;
        const m = JSON.parse(f.text) as Record<string, unknown>;
        messages.push(m);
        if (m.type === 'hello') socket.write(JSON.stringify({ type: 'welcome', protocol: 1, server_version: 'fake', heartbeat_ms: 60_000, max_line_bytes: 1 << 20, max_series: 10_000 }) + '\n');
        onMessage(m, socket);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        server,
        messages,
        sockets,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

function options(port: number, overrides: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return {
    host: '127.0.0.1',
    port,
    agentId: 'conn-test',
    agentVersion: 'test',
    labels: { env: 'test' },
    token: 'tok',
    intervalMs: 1000,
    backoff: { initialMs: 20, maxMs: 100 },
    handshakeTimeoutMs: 2000,
    log: createLogger('error'),
    ...overrides,
  };
}

const snapshot = (value: number): MetricFamily[] => [{ name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value }] }];
const connections: BridgeConnection[] = [];
after(async () => {
  await Promise.all(connections.map((c) => c.stop()));
});

describe('BridgeConnection', () => {
  it('says hello with id, labels, token and interval, then sends offered snapshots', async () => {
    const port = await freePort();
    const bridge = await fakeBridge(port);
    const conn = new BridgeConnection(options(port));
    connections.push(conn);
    conn.start();
    await eventually(() => conn.state === 'connected', 5000, 'connected');
    conn.offer(snapshot(1));
    await eventually(() => bridge.messages.some((m) => m.type === 'metrics'), 5000, 'metrics sent');
    const hello = bridge.messages[0]!;
    assert.deepEqual(
      { type: hello.type, protocol: hello.protocol, agent_id: hello.agent_id, labels: hello.labels, token: hello.token, interval_ms: hello.interval_ms },
      { type: 'hello', protocol: 1, agent_id: 'conn-test', labels: { env: 'test' }, token: 'tok', interval_ms: 1000 },
    );
    await conn.stop();
    await bridge.close();
  });

  it('keeps only the newest snapshot while the bridge is unreachable and sends it once back', async () => {
    const port = await freePort();
    const conn = new BridgeConnection(options(port));
    connections.push(conn);
    conn.start();
    for (let i = 1; i <= 5; i++) conn.offer(snapshot(i));
    await new Promise((r) => setTimeout(r, 150)); // a few failed attempts
    assert.notEqual(conn.state, 'connected');
    const bridge = await fakeBridge(port);
    await eventually(() => bridge.messages.some((m) => m.type === 'metrics'), 5000, 'snapshot after reconnect');
    const batches = bridge.messages.filter((m) => m.type === 'metrics') as { families: MetricFamily[] }[];
    assert.equal(batches.length, 1, 'old snapshots were superseded, not queued');
    assert.equal(batches[0]!.families[0]!.samples[0]!.value, 5);
    await conn.stop();
    await bridge.close();
  });

  it('reconnects by itself after the bridge drops the connection', async () => {
    const port = await freePort();
    const bridge = await fakeBridge(port);
    const conn = new BridgeConnection(options(port));
    connections.push(conn);
    conn.start();
    await eventually(() => conn.state === 'connected', 5000, 'connected');
    for (const s of bridge.sockets) s.destroy();
    await eventually(() => bridge.messages.filter((m) => m.type === 'hello').length === 2, 5000, 'second hello');
    await eventually(() => conn.state === 'connected', 5000, 'connected again');
    await conn.stop();
    await bridge.close();
  });

  it('answers pings from the bridge with pongs carrying the ping\'s id and t0', async () => {
    const port = await freePort();
    const bridge = await fakeBridge(port, (m, socket) => {
      if (m.type === 'hello') socket.write(JSON.stringify({ type: 'ping', id: 42, t0: 1234 }) + '\n');
    });
    const conn = new BridgeConnection(options(port));
    connections.push(conn);
    conn.start();
    const pong = await eventually(() => bridge.messages.find((m) => m.type === 'pong'), 5000, 'pong');
    assert.equal(pong.id, 42);
    assert.equal(pong.t0, 1234);
    assert.ok(typeof pong.t1 === 'number' && typeof pong.t2 === 'number');
    await conn.stop();
    await bridge.close();
  });

  it('stop() closes the socket and does not reconnect', async () => {
    const port = await freePort();
    const bridge = await fakeBridge(port);
    const conn = new BridgeConnection(options(port));
    conn.start();
    await eventually(() => conn.state === 'connected', 5000, 'connected');
    await conn.stop();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(bridge.messages.filter((m) => m.type === 'hello').length, 1);
    assert.equal(conn.state, 'stopped');
    await bridge.close();
  });
});
