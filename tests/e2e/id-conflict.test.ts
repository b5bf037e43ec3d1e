import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, getJson, getText } from '../helpers/http.js';
import { CLI, killAll, runCli, startBridgeProcess, type RunningProcess } from '../helpers/processes.js';

// Two real agent processes with one id (cloned VMs, hosts sharing a name): the bridge keeps the
// first, refuses the second loudly (log, /api/agents, fleetpulse_agent_id_conflict), the second
// backs off exponentially and says so in its log and status file, and no data of the second
// ever lands under the id. Once the first stops, the second gets in.

const ID = 'twin';
const dir = mkdtempSync(join(tmpdir(), 'fp-id-conflict-'));
let httpPort: number;
let ingestPort: number;
let bridge: RunningProcess;
let first: RunningProcess;
let second: RunningProcess;

function agent(who: string): RunningProcess {
  return runCli(['agent'], {
    FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`,
    FLEETPULSE_AGENT_ID: ID,
    FLEETPULSE_LABELS: `who=${who}`,
    FLEETPULSE_INTERVAL: '500ms',
    FLEETPULSE_PROBES: 'off',
    FLEETPULSE_RECONNECT_MIN: '100ms',
    FLEETPULSE_RECONNECT_MAX: '1s',
    FLEETPULSE_LOG_LEVEL: 'debug',
    FLEETPULSE_STATUS_FILE: join(dir, `${who}.status.json`),
  });
}

const metrics = async () => (await getText(`http://127.0.0.1:${httpPort}/metrics`)).text;
type View = { id: string; connected: boolean; labels: Record<string, string>; id_conflict: { address: string; refused_connections: number } | null };
const view = async () => (await getJson<{ data: View }>(`http://127.0.0.1:${httpPort}/api/agents/${ID}`)).data;

before(async () => {
  const started = await startBridgeProcess({ FLEETPULSE_HEARTBEAT: '500ms' });
  ({ httpPort, ingestPort, proc: bridge } = started);
  first = agent('first');
  await eventually(async () => (await metrics()).includes(`node_load1{instance="${ID}",who="first"}`), 15_000, 'first agent\'s data');
  second = agent('second');
});

after(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('two agent processes with the same id', () => {
  it('the bridge keeps the first, refuses the second with FP_ID_CONFLICT and says so in its log, /api/agents and /metrics', async () => {
    await eventually(async () => (await view()).id_conflict !== null, 15_000, 'conflict in /api/agents');
    const v = await view();
    assert.equal(v.connected, true);
    assert.deepEqual(v.labels, { who: 'first' }, 'the holder keeps the id');
    assert.equal(v.id_conflict!.address, '127.0.0.1');
    assert.match(await metrics(), new RegExp(`^fleetpulse_agent_id_conflict\\{instance="${ID}",who="first"\\} 1$`, 'm'));
    assert.match(bridge.output(), /level=error msg="agent id claimed by a second agent while the first is connected; refusing the second \(FP_ID_CONFLICT\)".* agent=twin/);
  });

  it('the refused agent backs off exponentially (its attempts are never reset) and reports the conflict once in its log and in its status file', async () => {
    // Attempt numbers keep growing: nothing resets the backoff, unlike a takeover that welcomes it.
    await eventually(() => /reconnect scheduled.* attempt=5 /.test(second.output()), 30_000, 'fifth attempt scheduled');
    const attempts = [...second.output().matchAll(/reconnect scheduled.* attempt=(\d+) /g)].map((m) => Number(m[1]));
    assert.deepEqual(attempts.slice(0, 5), [1, 2, 3, 4, 5]);
    assert.equal(second.output().match(/level=error msg="another agent with this agent id is connected to the bridge/g)?.length, 1, 'said once');
    assert.doesNotMatch(second.output(), /connected to bridge/);
    const check = spawnSync(process.execPath, [CLI, 'agent', '--check'], { env: { PATH: process.env.PATH, FLEETPULSE_AGENT_ID: ID, FLEETPULSE_STATUS_FILE: join(dir, 'second.status.json') }, encoding: 'utf8' });
    assert.equal(check.status, 1);
    assert.match(check.stdout, /kept out by the bridge: FP_ID_CONFLICT: another agent with id "twin" is connected/);
    // The holder was never disturbed, and nothing of the second reached the id.
    assert.doesNotMatch(first.output(), /FP_REPLACED|FP_ID_CONFLICT|lost connection/);
    const text = await metrics();
    assert.doesNotMatch(text, /who="second"/);
    assert.ok((await view()).id_conflict!.refused_connections >= 5);
  });

  it('once the first agent stops, the second gets in under the id', async () => {
    assert.equal(await first.kill('SIGTERM'), 0);
    await eventually(async () => (await metrics()).includes(`node_load1{instance="${ID}",who="second"}`), 20_000, 'second agent\'s data');
    assert.match(second.output(), /agent id is free again: this agent is in/);
  });
});
