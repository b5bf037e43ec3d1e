import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, it } from 'node:test';
import { parseTextFormat } from '../../src/agent/textfile/parse-text-format.js';
import { getText } from '../helpers/http.js';
import { LineClient } from '../helpers/line-client.js';
import { killAll, startBridgeProcess, type BridgeProcess } from '../helpers/processes.js';

// Hostile peers against a real bridge process, on both ports: random bytes, oversized lines,
// half-closed connections, slowloris (bytes trickled, never a whole hello or request). The
// bridge must stay up, close what it should by its own timeouts, and keep serving a well-behaved
// agent's data. Bounded: ROUNDS rounds of a few connections each (seeded, so repeatable), and
// every wait has a deadline; nothing asserts how long anything took.

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 12);
const SLOW_PEERS = 20;

let bridge: BridgeProcess;
let bystander: LineClient;
let seq = 0;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const random = rng(Number(process.env.FUZZ_SEED ?? 20261130));

function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/**
 * A raw socket that swallows errors (the bridge may reset it). `gone`: the bridge ended its side
 * (FIN: with allowHalfOpen our side stays open until we end it) or the socket closed.
 */
function raw(port: number): Promise<Socket & { gone: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(Object.assign(socket, { gone })));
    const gone = new Promise<void>((r) => {
      socket.once('end', () => r());
      socket.once('close', () => r());
    });
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.once('error', reject);
  });
}

/** Resolves when `p` settles, or rejects naming `what` after a generous deadline (a safety net, not a timing assert). */
async function within<T>(p: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const load = (value: number) => ({ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value }] });

/** The bystander pushes a new value and waits for its ack: the bridge still takes its data. */
async function bystanderPushes(): Promise<number> {
  const value = ++seq / 4;
  bystander.send({ type: 'metrics', seq, timestamp_ms: Date.now(), families: [load(value)] });
  await bystander.waitFor((m) => m.type === 'ack' && m.seq === seq, 30_000);
  return value;
}

async function assertHealthy(value: number): Promise<void> {
  assert.equal(bridge.proc.child.exitCode, null, `the bridge exited:\n${bridge.proc.output()}`);
  assert.equal(bystander.closed, false, 'the bystander is still connected');
  const { status, text } = await getText(`http://127.0.0.1:${bridge.httpPort}/metrics`);
  assert.equal(status, 200);
  assert.doesNotThrow(() => parseTextFormat(text));
  assert.match(text, new RegExp(`^node_load1\\{instance="bystander"\\} ${String(value).replace('.', '\\.')}$`, 'm'));
}

before(async () => {
  bridge = await startBridgeProcess({ FLEETPULSE_HELLO_TIMEOUT: '1s', FLEETPULSE_MAX_LINE_BYTES: '64KiB', FLEETPULSE_HEARTBEAT: '30s' });
  bystander = await LineClient.connect(bridge.ingestPort);
  bystander.hello('bystander');
  await bystander.waitFor((m) => m.type === 'welcome');
  await bystanderPushes();
});

after(async () => {
  bystander?.close();
  await killAll();
});

it('agent port: random bytes, oversized lines and half-closed peers close only themselves', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const peers = await Promise.all([0, 1, 2, 3].map(() => raw(bridge.ingestPort)));
    // Random bytes, then close.
    peers[0]!.end(randomBytes(1 + Math.floor(random() * 8192)));
    // Random bytes, then a half-close: the bridge must not wait on the half-open socket forever.
    peers[1]!.end(randomBytes(1 + Math.floor(random() * 512)));
    // An oversized line before hello (past the 32 KiB hello bound), never ended.
    peers[2]!.write(Buffer.alloc(48 * 1024 + Math.floor(random() * 64 * 1024), 'a'));
    // A valid hello, then garbage lines, one oversized line, random bytes; then a batch that must still count.
    const id = `fuzz-${round}`;
    peers[3]!.write(JSON.stringify({ type: 'hello', protocol: 1, agent_id: id, agent_version: 'fuzz' }) + '\n');
    peers[3]!.write(randomBytes(256).toString('latin1').replaceAll('\n', ' ') + '\n');
    peers[3]!.write('x'.repeat(70 * 1024) + '\n');
    peers[3]!.write(randomBytes(1 + Math.floor(random() * 2048)));
    for (const p of peers.slice(0, 3)) await within(p.gone, `round ${round}: the bridge closes a hostile peer`);
    peers[3]!.destroy();
    await assertHealthy(await bystanderPushes());
  }
  assert.doesNotMatch(bridge.proc.output(), /internal error|uncaught|unhandled/i);
});

it('agent port: slowloris peers that trickle a hello are closed by the hello timeout; others unharmed', async () => {
  const peers = await Promise.all(Array.from({ length: SLOW_PEERS }, () => raw(bridge.ingestPort)));
  const hello = JSON.stringify({ type: 'hello', protocol: 1, agent_id: 'slow', agent_version: 'x' });
  let at = 0;
  const trickle = setInterval(() => {
    for (const p of peers) if (!p.destroyed) p.write(hello[at % hello.length]!);
    at++;
  }, 50);
  try {
    await within(Promise.all(peers.map((p) => p.gone)), 'the hello timeout closes every slow peer');
  } finally {
    clearInterval(trickle);
  }
  await assertHealthy(await bystanderPushes());
});

it('HTTP port: random bytes, oversized headers, half-closed requests and slowloris headers; /metrics keeps answering', async () => {
  const port = bridge.httpPort;
  for (let round = 0; round < ROUNDS; round++) {
    const [junk, huge, half] = await Promise.all([raw(port), raw(port), raw(port)]);
    junk.end(randomBytes(1 + Math.floor(random() * 4096)));
    huge.write(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`);
    let answer = '';
    half.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    half.end(`GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    for (const p of [junk, huge, half]) await within(p.gone, `round ${round}: the HTTP server closes a hostile peer`);
    assert.match(answer, /^HTTP\/1\.1 \d{3} /, 'a half-closed request still gets its answer');
  }
  // Slowloris: headers trickled, never finished; the headers timeout ends them, and meanwhile
  // a normal scrape is served.
  const slow = await Promise.all(Array.from({ length: SLOW_PEERS }, () => raw(port)));
  for (const p of slow) p.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const trickle = setInterval(() => {
    for (const p of slow) if (!p.destroyed) p.write('X');
  }, 200);
  try {
    await assertHealthy(await bystanderPushes());
    await within(Promise.all(slow.map((p) => p.gone)), 'the headers timeout closes every slowloris peer');
  } finally {
    clearInterval(trickle);
  }
  await assertHealthy(await bystanderPushes());
  assert.doesNotMatch(bridge.proc.output(), /internal error|uncaught|unhandled/i);
});
