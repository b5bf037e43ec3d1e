import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, getJson, getText } from '../helpers/http.js';
import { CLI, killAll, restartBridgeProcess, runCli, startBridgeProcess, type BridgeProcess, type RunningProcess } from '../helpers/processes.js';

// A bridge and three agents as real child processes on 127.0.0.1, driven through the CLI
// and the documented settings only.

const TOKEN = 'e2e-secret';
// Status files of this run's agents, apart from any other run's on the same machine.
const STATUS_DIR = mkdtempSync(join(tmpdir(), 'fleetpulse-e2e-'));
const statusFile = (id: string) => join(STATUS_DIR, `${id}.status.json`);
const AGENTS = ['e2e-a', 'e2e-b', 'e2e-c'];
const RECONNECT_MAX_MS = 2000;
/**
 * Long enough that a scrape showing a killed agent down still finds its series, however slowly
 * this loaded machine polls: that scrape is the proof that down comes first and removal later.
 */
const GRACE_MS = 8000;

let ingestPort: number;
let httpPort: number;
let bridge: BridgeProcess;
const agents = new Map<string, RunningProcess>();

const BRIDGE_ENV = {
  FLEETPULSE_TOKEN: TOKEN,
  FLEETPULSE_HEARTBEAT: '1s',
  FLEETPULSE_GRACE_PERIOD: `${GRACE_MS}ms`,
};

function startAgent(id: string, token = TOKEN): RunningProcess {
  return runCli(['agent'], {
    FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`,
    FLEETPULSE_AGENT_ID: id,
    FLEETPULSE_TOKEN: token,
    FLEETPULSE_INTERVAL: '500ms',
    // Not 80% of the interval (400 ms): on a busy machine a collector would time out and its
    // families drop out of a batch, which the checks below read as missing.
    FLEETPULSE_COLLECTOR_TIMEOUT: '10s',
    FLEETPULSE_LABELS: 'role=e2e',
    FLEETPULSE_RECONNECT_MAX: `${RECONNECT_MAX_MS}ms`,
    FLEETPULSE_STATUS_FILE: statusFile(id),
  });
}

const metrics = async () => (await getText(`http://127.0.0.1:${httpPort}/metrics`)).text;
const upOf = (text: string, id: string) => new RegExp(`^fleetpulse_agent_up\\{instance="${id}",role="e2e"\\} (\\d)$`, 'm').exec(text)?.[1];

const FAMILIES = [
  'node_cpu_seconds_total',
  'node_memory_MemTotal_bytes',
  'node_filesystem_size_bytes',
  'node_disk_read_bytes_total',
  'node_network_receive_bytes_total',
  'node_load1',
];

function hasAllFamilies(text: string, id: string): boolean {
  return FAMILIES.every((name) => new RegExp(`^${name}\\{instance="${id}",role="e2e"[,}]`, 'm').test(text));
}

before(async () => {
  bridge = await startBridgeProcess(BRIDGE_ENV);
  ({ ingestPort, httpPort } = bridge);
  for (const id of AGENTS) agents.set(id, startAgent(id));
});

after(async () => {
  await killAll();
  rmSync(STATUS_DIR, { recursive: true, force: true });
});

describe('bridge with three agents (child processes)', () => {
  it('exposes each agent\'s cpu, memory, filesystem, disk and network series under its own instance', async () => {
    await eventually(async () => {
      const text = await metrics();
      return AGENTS.every((id) => hasAllFamilies(text, id));
    }, 20_000, 'all families of all agents');
    const list = await getJson<{ status: string; data: { id: string; connected: boolean; labels: Record<string, string> }[] }>(`http://127.0.0.1:${httpPort}/api/agents`);
    assert.equal(list.status, 'success');
    assert.deepEqual(list.data.map((a) => [a.id, a.connected, a.labels.role]), AGENTS.map((id) => [id, true, 'e2e']));
  });

  it('all agents come back within the backoff cap after the bridge is killed and restarted', async () => {
    await bridge.proc.kill('SIGKILL');
    // Same ports: the agents know only these.
    bridge = await restartBridgeProcess(bridge, BRIDGE_ENV);
    const restartedAt = Date.now();
    await eventually(async () => {
      const text = await metrics();
      return AGENTS.every((id) => upOf(text, id) === '1' && hasAllFamilies(text, id));
    }, RECONNECT_MAX_MS + 10_000, 'all agents reconnected with data');
    // Reported, not asserted: the machine is shared and timings are noisy.
    console.log(`# agents back ${Date.now() - restartedAt} ms after the bridge restart (cap ${RECONNECT_MAX_MS} ms)`);
  });

  it('a killed agent is down at once and its series disappear after the grace period', async () => {
    const victim = AGENTS[2]!;
    await agents.get(victim)!.kill('SIGKILL');
    const downText = await eventually(async () => {
      const text = await metrics();
      return upOf(text, victim) === '0' ? text : undefined;
    }, GRACE_MS, 'agent_up 0');
    assert.ok(hasAllFamilies(downText, victim), 'series stay during the grace period');
    await eventually(async () => {
      const text = await metrics();
      return !new RegExp(`^node_load1\\{instance="${victim}"`, 'm').test(text) && upOf(text, victim) === '0';
    }, GRACE_MS + 10_000, 'series removed after grace, up still 0');
    const text = await metrics();
    for (const id of AGENTS.slice(0, 2)) assert.ok(hasAllFamilies(text, id), `${id} unaffected`);
  });

  it('an agent with a wrong token is refused with FP_AUTH_FAILED and says so once', async () => {
    const refusals = async () => Number(/^fleetpulse_bridge_frames_rejected_total\{reason="auth_failed"\} (\d+)$/m.exec(await metrics())?.[1] ?? 0);
    const before = await refusals();
    const intruder = startAgent('e2e-intruder', 'wrong-token');
    await intruder.waitForOutput(/FP_AUTH_FAILED/);
    // It keeps retrying with backoff, but logs the refusal once, not on every attempt. The
    // agent makes attempt n+1 only after it has read attempt n's refusal and seen the close:
    // once the bridge has refused it three times, it has handled at least two refusals.
    await eventually(async () => (await refusals()) >= before + 3, 30_000, 'three refused attempts');
    assert.equal(intruder.output().split('FP_AUTH_FAILED').length - 1, 1, intruder.output());
    // The bridge was reached: nothing may suggest a network problem.
    assert.doesNotMatch(intruder.output(), /cannot reach bridge/);
    const list = await getJson<{ data: { id: string }[] }>(`http://127.0.0.1:${httpPort}/api/agents`);
    assert.ok(!list.data.some((a) => a.id === 'e2e-intruder'));
    await intruder.kill();
  });

  it('`fleetpulse agent --check` says healthy for a running agent and unhealthy for a dead one', async () => {
    const check = (id: string) =>
      spawnSync(process.execPath, [CLI, 'agent', '--check'], { env: { PATH: process.env.PATH, FLEETPULSE_AGENT_ID: id, FLEETPULSE_STATUS_FILE: statusFile(id) }, encoding: 'utf8' });
    // Healthy means a collection within 3 intervals (1.5 s here): a starved agent may miss that
    // now and then on a loaded machine, as it should; a running one is healthy again next time.
    const alive = await eventually(() => {
      const r = check(AGENTS[0]!);
      return r.status === 0 ? r : undefined;
    }, 30_000, 'a healthy check of the running agent');
    assert.match(alive.stdout, /^ok: \d+ collections/);
    const dead = check(AGENTS[2]!); // killed above
    assert.equal(dead.status, 1);
    assert.match(dead.stdout, /agent process \d+ is gone/);
    const unknown = check('never-ran');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stdout, /no agent status at .*never-ran/);
  });

  it('SIGTERM stops an agent (which says goodbye) and the bridge cleanly with exit code 0', async () => {
    const agent = agents.get(AGENTS[0]!)!;
    assert.equal(await agent.kill('SIGTERM'), 0, agent.output());
    // It said goodbye: listed as departed (not down), its series gone after the grace period.
    await eventually(async () => {
      const list = await getJson<{ data: { id: string; state: string; series: number }[] }>(`http://127.0.0.1:${httpPort}/api/agents`);
      const a = list.data.find((x) => x.id === AGENTS[0]);
      return a?.state === 'departed' && a.series === 0;
    }, GRACE_MS + 10_000, 'stopped agent departed, series gone');
    const text = await metrics();
    assert.match(text, new RegExp(`^fleetpulse_agent_state\\{instance="${AGENTS[0]}",role="e2e",state="departed"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^fleetpulse_agent_state\\{instance="${AGENTS[2]}",role="e2e",state="down"\\} 1$`, 'm'), 'the killed one is down');
    assert.equal(upOf(text, AGENTS[0]!), '0');
    assert.doesNotMatch(text, new RegExp(`^node_load1\\{instance="${AGENTS[0]}"`, 'm'));
    assert.equal(await bridge.proc.kill('SIGTERM'), 0, bridge.proc.output());
  });
});
