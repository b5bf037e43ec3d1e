import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createStarNetwork, netnsExec, type NetnsHost, type StarNetwork } from '../helpers/netns.js';

// Two hosts in network namespaces of their own, the sender's link limited by tbf (this kernel
// has tbf but not netem). Only the namespaces and addresses created by the helper are used.

const RATE_MBIT = 20;
const TOLERANCE = 0.15;
const SECRET = 'netns-bandwidth-secret-1';
const TASK = 'netns-task';
const PORT = 9702;
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/probes/', import.meta.url));

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

function inNamespace(host: NetnsHost, script: string, env: Record<string, string>): { child: ChildProcess; output: JsonLines } {
  const [command, ...prefix] = netnsExec(host);
  const child = spawn(command!, [...prefix, process.execPath, '--import', 'tsx', FIXTURES + script], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PROBE_TASK: TASK, PROBE_SECRET: SECRET, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return { child, output: new JsonLines(child) };
}

let network: StarNetwork | undefined;
const host = (name: 'sender' | 'sink'): NetnsHost => network!.hosts[name]!;

const runProbe = async (kind: string, target: string): Promise<Record<string, unknown>> =>
  inNamespace(host('sender'), 'probe-main.ts', { PROBE_KIND: kind, PROBE_HOST: target, PROBE_PORT: String(PORT) }).output.next(30_000);

describe('bandwidth across a tbf-limited veth link between two namespaces', () => {
  let skipReason: string | undefined;
  let responderOutput: JsonLines | undefined;
  let responder: ChildProcess | undefined;

  before(async () => {
    const created = createStarNetwork('probe', [{ name: 'sender', egressMbit: RATE_MBIT }, { name: 'sink' }]);
    if ('skip' in created) {
      skipReason = created.skip;
      return;
    }
    network = created;
    const started = inNamespace(host('sink'), 'responder-main.ts', { PROBE_HOST: host('sink').ip, PROBE_PORT: String(PORT) });
    responder = started.child;
    responderOutput = started.output;
    const ready = await responderOutput.next(30_000);
    assert.deepEqual(ready.listening, { host: host('sink').ip, port: PORT });
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    network?.destroy();
  });

  it(`measures ${RATE_MBIT} Mbit/s within ±${TOLERANCE * 100}%`, async (t) => {
    if (skipReason) return t.skip(skipReason);
    const result = await runProbe('bandwidth', host('sink').ip);
    console.log(`tbf ${RATE_MBIT} Mbit/s, measured:`, JSON.stringify(result));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.source, 'receiver');
    const mbit = (result.bitsPerSecond as number) / 1e6;
    assert.ok(Math.abs(mbit - RATE_MBIT) <= RATE_MBIT * TOLERANCE, `${mbit.toFixed(2)} Mbit/s is not within ±${TOLERANCE * 100}% of ${RATE_MBIT}`);
  });

  it('measures latency across the link and reports an unroutable peer as unreachable', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const result = await runProbe('latency', host('sink').ip);
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
