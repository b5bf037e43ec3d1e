import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ProtocolErrors } from '../../src/protocol/error-codes.js';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';

// docs/examples/python-agent.py is the example agent of docs/protocol.md. Run it against a
// real bridge, so the example (and with it the spec's description of the handshake,
// batches, pings and errors) cannot drift from what the bridge does.

const SCRIPT = fileURLToPath(new URL('../../docs/examples/python-agent.py', import.meta.url));
const SPEC = fileURLToPath(new URL('../../docs/protocol.md', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';
const pythonMissing: string | undefined = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import os; os.getloadavg()'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} cannot run the example: ${probe.stderr.trim()}`;
  return undefined;
})();

const TOKEN = 'python-test-secret';
const DEADLINE_MS = 20_000;

interface PyAgent {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function runAgent(port: number, env: Record<string, string>): PyAgent {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(base)) if (key.startsWith('FLEETPULSE_')) delete base[key];
  const child = spawn(PYTHON, [SCRIPT], {
    env: {
      ...base,
      PYTHONUNBUFFERED: '1',
      FLEETPULSE_SERVER: `127.0.0.1:${port}`,
      FLEETPULSE_INTERVAL_SECONDS: '0.2',
      FLEETPULSE_BATCHES: '300', // bounds the run (about a minute) even if the test dies
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (text += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (text += s));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, agent?: PyAgent): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (agent && agent.child.exitCode !== null) {
      assert.fail(`the python agent exited (${agent.child.exitCode}) before ${what}:\n${agent.output()}`);
    }
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}${agent ? `\nagent output:\n${agent.output()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

interface AgentView {
  id: string;
  connected: boolean;
  version: string;
  protocol: number;
  batches_received: number;
  series: number;
  last_seen: string;
  connected_since: string;
  last_error: string | null;
}

async function agents(url: string): Promise<AgentView[]> {
  const res = await fetch(`${url}/api/agents`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { status: string; data: AgentView[] };
  assert.equal(body.status, 'success');
  return body.data;
}

const LOAD_LINE = (name: string, id: string) => new RegExp(`^${name}\\{instance="${id}"\\} -?[0-9.e+-]+$`, 'm');

describe('docs/examples/python-agent.py against a real bridge', () => {
  let open: TestBridge;
  let secured: TestBridge;

  before(async () => {
    if (pythonMissing) return;
    open = await startTestBridge({ heartbeatMs: 500, helloTimeoutMs: 5000 });
    secured = await startTestBridge({ token: TOKEN, helloTimeoutMs: 5000 });
  });

  after(async () => {
    await open?.stop();
    await secured?.stop();
  });

  it('pushes its load averages, exposed with instance="<agent id>"', async (t) => {
    if (pythonMissing) return t.skip(pythonMissing);
    const id = 'py-agent-1';
    const agent = runAgent(open.ingestPort, { FLEETPULSE_AGENT_ID: id });
    try {
      const text = await waitFor(
        'node_load1/5/15 of the python agent on /metrics',
        async () => {
          const body = await metricsText(open.url);
          return ['node_load1', 'node_load5', 'node_load15'].every((n) => LOAD_LINE(n, id).test(body)) ? body : undefined;
        },
        agent,
      );
      assert.match(text, /^# TYPE node_load1 gauge$/m);
      assert.match(text, /^# HELP node_load1 1m load average\.$/m);
      assert.match(text, new RegExp(`^fleetpulse_agent_up\\{instance="${id}"\\} 1$`, 'm'));
      assert.match(text, new RegExp(`^fleetpulse_agent_info\\{instance="${id}",version="py-example/1",address="127\\.0\\.0\\.1",protocol="1"\\} 1$`, 'm'));

      const view = await waitFor(
        `/api/agents to list ${id} with 2 batches`,
        async () => (await agents(open.url)).find((a) => a.id === id && a.batches_received >= 2),
        agent,
      );
      assert.equal(view.connected, true);
      assert.equal(view.protocol, 1);
      assert.equal(view.version, 'py-example/1');
      assert.equal(view.series, 3);
      assert.equal(view.last_error, null);
      assert.doesNotMatch(agent.output(), /bridge error/);
    } finally {
      await agent.stop();
    }
  });

  it('stays connected on pongs alone across many bridge heartbeats', async (t) => {
    if (pythonMissing) return t.skip(pythonMissing);
    const id = 'py-agent-quiet';
    // One batch, then silence but for pongs: the bridge (heartbeat 500 ms) would close the
    // link after 1.5 s without them, and the agent would hear FP_HEARTBEAT_TIMEOUT.
    const agent = runAgent(open.ingestPort, { FLEETPULSE_AGENT_ID: id, FLEETPULSE_INTERVAL_SECONDS: '60', FLEETPULSE_BATCHES: '1' });
    try {
      const view = await waitFor(
        'the bridge to keep hearing pongs for 6 heartbeat intervals',
        async () =>
          (await agents(open.url)).find(
            (a) => a.id === id && a.batches_received === 1 && Date.parse(a.last_seen) - Date.parse(a.connected_since) >= 3000,
          ),
        agent,
      );
      assert.equal(view.connected, true);
      assert.equal(view.last_error, null);
      assert.equal(agent.child.exitCode, null, 'the agent is still running');
      assert.doesNotMatch(agent.output(), /FP_HEARTBEAT_TIMEOUT|link lost/);
    } finally {
      await agent.stop();
    }
  });

  it('a wrong token is refused with FP_AUTH_FAILED, which the agent prints', async (t) => {
    if (pythonMissing) return t.skip(pythonMissing);
    const agent = runAgent(secured.ingestPort, { FLEETPULSE_AGENT_ID: 'py-intruder', FLEETPULSE_TOKEN: 'not-the-token' });
    try {
      const code = await waitFor('the refused agent to exit', async () => (agent.child.exitCode === null ? undefined : agent.child.exitCode));
      assert.equal(code, 1, agent.output());
      assert.match(agent.output(), /bridge error FP_AUTH_FAILED \(fatal=True\): the token does not match/);
      assert.equal((await agents(secured.url)).some((a) => a.id === 'py-intruder'), false);
      assert.doesNotMatch(await metricsText(secured.url), /instance="py-intruder"/);
    } finally {
      await agent.stop();
    }
  });

  it('no token where one is required is refused with FP_AUTH_FAILED too', async (t) => {
    if (pythonMissing) return t.skip(pythonMissing);
    const agent = runAgent(secured.ingestPort, { FLEETPULSE_AGENT_ID: 'py-anonymous' });
    try {
      await waitFor('the refused agent to exit', async () => (agent.child.exitCode === null ? undefined : agent.child.exitCode));
      assert.match(agent.output(), /bridge error FP_AUTH_FAILED \(fatal=True\): this bridge requires a token/);
    } finally {
      await agent.stop();
    }
  });

  it('the right token is accepted', async (t) => {
    if (pythonMissing) return t.skip(pythonMissing);
    const id = 'py-agent-token';
    const agent = runAgent(secured.ingestPort, { FLEETPULSE_AGENT_ID: id, FLEETPULSE_TOKEN: TOKEN });
    try {
      await waitFor(
        'the token-carrying agent on /metrics',
        async () => (LOAD_LINE('node_load1', id).test(await metricsText(secured.url)) ? true : undefined),
        agent,
      );
      assert.doesNotMatch(agent.output(), /bridge error/);
    } finally {
      await agent.stop();
    }
  });
});

describe('docs/protocol.md stays in step with the code', () => {
  const spec = readFileSync(SPEC, 'utf8');

  it('the inline Python agent is docs/examples/python-agent.py, byte for byte', () => {
    const blocks = [...spec.matchAll(/^```python\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    assert.equal(blocks.length, 1, 'exactly one python block in the spec');
    assert.equal(blocks[0], readFileSync(SCRIPT, 'utf8'));
  });

  it('the error table lists every code of error-codes.ts, in order, with its reason and fatal flag', () => {
    const rows = [...spec.matchAll(/^\| `(FP_[A-Z_]+)` \| `([a-z_]+)` \| (yes|no) \|/gm)].map((m) => ({
      code: m[1],
      reason: m[2],
      fatal: m[3] === 'yes',
    }));
    const catalogue = Object.values(ProtocolErrors).map(({ code, reason, fatal }) => ({ code, reason, fatal }));
    assert.deepEqual(rows, catalogue);
  });
});
