import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { EventStream, type EventTopic } from '../../../src/server/http/events-route.js';
import { startTestBridge } from '../../helpers/bridge.js';
import { eventually } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// EventStream over a real node:http server with real sockets; time is driven by hand
// (tick() and an injected clock), so nothing here sleeps for a tick.

interface SseEvent {
  event: string;
  data: string;
}

/** An SSE reader: parses frames as they arrive; comments are counted apart. */
class SseClient {
  events: SseEvent[] = [];
  comments = 0;
  status = 0;
  closed = false;
  private buffer = '';
  private res: IncomingMessage | undefined;

  static open(port: number): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
        client.res = res;
        client.status = res.statusCode!;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.push(chunk));
        res.on('close', () => (client.closed = true));
        resolve(client);
      })
        .on('error', reject)
        .end();
    });
  }

  private push(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (block.startsWith(':')) this.comments++;
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) this.events.push({ event, data });
    }
  }

  of(name: string): unknown[] {
    return this.events.filter((e) => e.event === name).map((e) => JSON.parse(e.data));
  }

  pause(): void {
    this.res!.pause();
  }

  close(): void {
    this.res!.destroy();
  }
}

describe('EventStream (GET /api/events)', () => {
  let server: Server | undefined;
  let stream: EventStream | undefined;
  const clients: SseClient[] = [];

  async function start(topics: EventTopic[], options: ConstructorParameters<typeof EventStream>[1] = {}): Promise<number> {
    stream = new EventStream(topics, { tickMs: 3_600_000, ...options });
    server = createServer((req, res) => stream!.route(req, res));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async function open(port: number): Promise<SseClient> {
    const client = await SseClient.open(port);
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    stream?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('sends every topic on connect, then only what changed on each tick', async () => {
    let agents = [{ id: 'a' }];
    let tasks: unknown[] = [];
    const port = await start([{ name: 'agents', snapshot: () => agents }, { name: 'tasks', snapshot: () => tasks }]);
    const client = await open(port);
    assert.equal(client.status, 200);
    await eventually(() => client.events.length === 2, 2000, 'initial events');
    assert.deepEqual(client.of('agents'), [[{ id: 'a' }]]);
    assert.deepEqual(client.of('tasks'), [[]]);

    stream!.tick(); // nothing changed
    agents = [{ id: 'a' }, { id: 'b' }];
    stream!.tick();
    await eventually(() => client.events.length === 3, 2000, 'changed agents');
    assert.deepEqual(client.of('agents').at(-1), [{ id: 'a' }, { id: 'b' }]);
    assert.equal(client.of('tasks').length, 1, 'unchanged tasks not re-sent');
    tasks = [{ id: 't1' }];
    stream!.tick();
    await eventually(() => client.of('tasks').length === 2, 2000, 'changed tasks');
  });

  it('re-sends an unchanged topic after refreshMs, and a keep-alive comment after silence', async () => {
    let now = 1_000_000;
    const port = await start([{ name: 'agents', snapshot: () => [] }], { refreshMs: 5000, keepAliveMs: 2000, now: () => now });
    const client = await open(port);
    await eventually(() => client.events.length === 1, 2000, 'initial event');
    now += 1000;
    stream!.tick();
    now += 1500; // 2.5 s of silence: a keep-alive, not data
    stream!.tick();
    await eventually(() => client.comments === 1, 2000, 'keep-alive');
    assert.equal(client.events.length, 1);
    now += 3000; // 5.5 s since the last agents event: re-sent
    stream!.tick();
    await eventually(() => client.events.length === 2, 2000, 'refresh');
  });

  it('serializes each topic once per tick whatever the number of clients', async () => {
    let calls = 0;
    let n = 0;
    const port = await start([{ name: 'agents', snapshot: () => (calls++, [n]) }], { maxPerSource: 10 });
    const many = await Promise.all(Array.from({ length: 5 }, () => open(port)));
    await eventually(() => many.every((c) => c.events.length === 1), 2000, 'initial events');
    calls = 0;
    n++;
    stream!.tick();
    await eventually(() => many.every((c) => c.events.length === 2), 2000, 'broadcast');
    assert.equal(calls, 1);
  });

  it('refuses clients over the cap with 503 and lets a new one in after one leaves', async () => {
    const port = await start([{ name: 'agents', snapshot: () => [] }], { maxClients: 2 });
    const [a] = [await open(port), await open(port)];
    const refused = await open(port);
    assert.equal(refused.status, 503);
    await eventually(() => refused.closed, 2000, 'refused stream closed');
    a!.close();
    await eventually(() => stream!.clientCount === 1, 2000, 'disconnect noticed');
    assert.equal((await open(port)).status, 200);
  });

  it('refuses a fifth stream from one address with 429, while the limit for all is not reached, and counts the slot free again when one closes', async () => {
    const port = await start([{ name: 'agents', snapshot: () => [] }], { maxClients: 32, maxPerSource: 4 });
    const four = [await open(port), await open(port), await open(port), await open(port)];
    assert.ok(four.every((c) => c.status === 200));
    const refused = await open(port);
    assert.equal(refused.status, 429);
    await eventually(() => refused.closed, 2000, 'refused stream closed');
    four[0]!.close();
    await eventually(() => stream!.clientCount === 3, 2000, 'disconnect noticed');
    assert.equal((await open(port)).status, 200);
  });

  it('forgets a client that disconnects and stops ticking with none left', async () => {
    const port = await start([{ name: 'agents', snapshot: () => [] }], { tickMs: 10 });
    const client = await open(port);
    await eventually(() => stream!.clientCount === 1, 2000, 'connected');
    client.close();
    await eventually(() => stream!.clientCount === 0, 2000, 'disconnect noticed');
    assert.equal((stream as unknown as { timer: unknown }).timer, undefined, 'tick timer stopped');
  });

  it('drops a client that stops reading once it has been stalled for stallMs', async () => {
    let now = 0;
    let big = 'x';
    const port = await start([{ name: 'agents', snapshot: () => big }], { stallMs: 30_000, now: () => now });
    const client = await open(port);
    await eventually(() => client.events.length === 1, 2000, 'initial event');
    client.pause();
    // Fill the socket buffers: frames the client cannot take are skipped, not queued.
    for (let i = 0; i < 40 && !client.closed; i++) {
      big = `${i}`.padEnd(1 << 20, 'y');
      stream!.tick();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(stream!.clientCount, 1, 'still connected while stalled less than stallMs');
    now += 31_000;
    stream!.tick();
    await eventually(() => stream!.clientCount === 0, 2000, 'stalled client dropped');
  });
});

describe('/api/events on a real bridge', () => {
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('streams the /api/agents array, as an agent connects and leaves', async () => {
    const bridge = await startTestBridge();
    cleanup.push(() => bridge.stop());
    const client = await SseClient.open(bridge.httpPort);
    cleanup.push(() => client.close());
    assert.equal(client.status, 200);
    await eventually(() => client.of('agents').length === 1, 2000, 'initial agents event');
    assert.deepEqual(client.of('agents')[0], []);
    const agent = await LineClient.connect(bridge.ingestPort);
    agent.hello('sse-agent');
    await agent.waitFor((m) => m.type === 'welcome');
    const withAgent = await eventually(() => client.of('agents').find((a) => (a as unknown[]).length === 1) as { id: string; connected: boolean; cpu_percent: null }[] | undefined, 5000, 'agent in stream');
    assert.equal(withAgent[0]!.id, 'sse-agent');
    assert.equal(withAgent[0]!.connected, true);
    const api = (await (await fetch(`${bridge.url}/api/agents`)).json()) as { data: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(withAgent[0]!), Object.keys(api.data[0]!), 'same shape as /api/agents');
    agent.close();
    await eventually(() => (client.of('agents').at(-1) as { connected: boolean }[])[0]?.connected === false, 5000, 'disconnect in stream');
  });
});
