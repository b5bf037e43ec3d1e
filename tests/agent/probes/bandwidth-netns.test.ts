import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

// Two network namespaces joined by a veth pair, with a tbf rate limit on the sender's side
// (this kernel has tbf but not netem). Only the namespaces and addresses created here are used.

const RATE_MBIT = 20;
// tbf meters whole Ethernet frames, so TCP payload gets about 1448/1514 of the rate (~19.1 Mbit/s).
const TOLERANCE = 0.15;
const SECRET = 'netns-bandwidth-secret-1';
const TASK = 'netns-task';
const tag = `${process.pid % 100_000}`;
const NS_SENDER = `fpprobe-s-${tag}`;
const NS_SINK = `fpprobe-r-${tag}`;
const VETH_SENDER = `fps${tag}`;
const VETH_SINK = `fpr${tag}`;
const SENDER_IP = '10.213.77.1';
const SINK_IP = '10.213.77.2';
const PORT = 9702;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../fixtures/probes/', import.meta.url));

function run(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, output: `${result.error?.message ?? ''}${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function must(args: string[]): void {
  const result = run(args);
  if (!result.ok) throw new Error(`${args.join(' ')} failed: ${result.output}`);
}

/** Creates the namespaces; returns why it could not (not root, no ip, no netns support). */
function setUpNetwork(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  const first = run(['ip', 'netns', 'add', NS_SENDER]);
  if (!first.ok) return `cannot create a network namespace: ${first.output}`;
  must(['ip', 'netns', 'add', NS_SINK]);
  must(['ip', '-n', NS_SENDER, 'link', 'add', VETH_SENDER, 'type', 'veth', 'peer', 'name', VETH_SINK, 'netns', NS_SINK]);
  must(['ip', '-n', NS_SENDER, 'addr', 'add', `${SENDER_IP}/24`, 'dev', VETH_SENDER]);
  must(['ip', '-n', NS_SINK, 'addr', 'add', `${SINK_IP}/24`, 'dev', VETH_SINK]);
  for (const [ns, dev] of [[NS_SENDER, VETH_SENDER], [NS_SINK, VETH_SINK], [NS_SENDER, 'lo'], [NS_SINK, 'lo']] as const) must(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  const tbf = run(['ip', 'netns', 'exec', NS_SENDER, 'tc', 'qdisc', 'add', 'dev', VETH_SENDER, 'root', 'tbf', 'rate', `${RATE_MBIT}mbit`, 'burst', '32kbit', 'latency', '50ms']);
  return tbf.ok ? undefined : `cannot add a tbf qdisc: ${tbf.output}`;
}

function tearDownNetwork(): void {
  // Deleting a namespace deletes the veth end inside it, and with it the peer.
  for (const ns of [NS_SENDER, NS_SINK]) run(['ip', 'netns', 'del', ns]);
}

const children = new Set<ChildProcess>();

/** JSON lines from a child's stdout, read one at a time without closing the stream. */
class JsonLines {
  private readonly lines: string[] = [];
  private buffered = '';
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) !== -1) {
        this.lines.push(this.buffered.slice(0, newline));
        this.buffered = this.buffered.slice(newline + 1);
      }
      this.wake?.();
    });
    child.on('exit', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  async next(timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error('child exited without output');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no output within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return JSON.parse(this.lines.shift()!) as Record<string, unknown>;
  }
}

function inNamespace(ns: string, script: string, env: Record<string, string>): { child: ChildProcess; output: JsonLines } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', FIXTURES + script], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PROBE_TASK: TASK, PROBE_SECRET: SECRET, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return { child, output: new JsonLines(child) };
}

const runProbe = async (kind: string, host: string): Promise<Record<string, unknown>> =>
  inNamespace(NS_SENDER, 'probe-main.ts', { PROBE_KIND: kind, PROBE_HOST: host, PROBE_PORT: String(PORT) }).output.next(30_000);

describe('bandwidth across a tbf-limited veth link between two namespaces', () => {
  let skipReason: string | undefined;
  let responderOutput: JsonLines | undefined;
  let responder: ChildProcess | undefined;

  before(async () => {
    try {
      skipReason = setUpNetwork();
    } catch (err) {
      tearDownNetwork();
      throw err;
    }
    if (skipReason) {
      tearDownNetwork();
      if (process.env.CI === 'true') throw new Error(`CI=true but ${skipReason}`);
      return;
    }
    const started = inNamespace(NS_SINK, 'responder-main.ts', { PROBE_HOST: SINK_IP, PROBE_PORT: String(PORT) });
    responder = started.child;
    responderOutput = started.output;
    const ready = await responderOutput.next(30_000);
    assert.deepEqual(ready.listening, { host: SINK_IP, port: PORT });
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    tearDownNetwork();
  });

  it(`measures ${RATE_MBIT} Mbit/s within ±${TOLERANCE * 100}%`, async (t) => {
    if (skipReason) return t.skip(skipReason);
    const result = await runProbe('bandwidth', SINK_IP);
    console.log(`tbf ${RATE_MBIT} Mbit/s, measured:`, JSON.stringify(result));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.source, 'receiver');
    const mbit = (result.bitsPerSecond as number) / 1e6;
    assert.ok(Math.abs(mbit - RATE_MBIT) <= RATE_MBIT * TOLERANCE, `${mbit.toFixed(2)} Mbit/s is not within ±${TOLERANCE * 100}% of ${RATE_MBIT}`);
  });

  it('measures latency across the link and reports an unroutable peer as unreachable', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const result = await runProbe('latency', SINK_IP);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.lossRatio, 0);
    const unroutable = await runProbe('latency', '10.213.78.1');
    assert.deepEqual([unroutable.ok, unroutable.reason], [false, 'unreachable'], JSON.stringify(unroutable));
  });

  it('the responder counted the transfer and no rejections', async (t) => {
    if (skipReason || !responder || !responderOutput) return t.skip(skipReason ?? 'no responder');
    responder.stdin!.end();
    const { counters } = (await responderOutput.next(10_000)) as { counters: { tcpAccepted: number; udpAnswered: number; tcpRejected: Record<string, number> } };
    assert.equal(counters.tcpAccepted, 1);
    assert.equal(counters.udpAnswered, 11, '10 echoes and 1 summary');
    assert.ok(Object.values(counters.tcpRejected).every((n) => n === 0), JSON.stringify(counters));
  });
});
