import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually, getJson } from '../helpers/http.js';
import { killAll, runCli, startBridgeProcess } from '../helpers/processes.js';

// Issue 11 item 4, agent side: FLEETPULSE_SERVER lists two bridges (child processes); the agent
// stays on the first, and when that one is killed -9 it moves to the other. Asserted as events
// (its log, its status file, the other bridge's /api/agents), never as a time.

const statusDir = mkdtempSync(join(tmpdir(), 'fp-failover-'));
after(async () => {
  await killAll();
  rmSync(statusDir, { recursive: true, force: true });
});

type View = { id: string; state: string };

it('an agent given two bridges moves to the second when the first is killed -9', { timeout: 120_000 }, async () => {
  const a = await startBridgeProcess({ FLEETPULSE_HEARTBEAT: '1s' });
  const b = await startBridgeProcess({ FLEETPULSE_HEARTBEAT: '1s' });
  const statusFile = join(statusDir, 'fo-1.json');
  const agent = runCli(['agent'], {
    FLEETPULSE_SERVER: `127.0.0.1:${a.ingestPort},127.0.0.1:${b.ingestPort}`,
    FLEETPULSE_AGENT_ID: 'fo-1',
    FLEETPULSE_INTERVAL: '500ms',
    FLEETPULSE_COLLECTORS: 'loadavg',
    FLEETPULSE_PROBES: 'off',
    FLEETPULSE_RECONNECT_MAX: '2s',
    FLEETPULSE_STATUS_FILE: statusFile,
  });
  const agentsOf = async (port: number) => (await getJson<{ data: View[] }>(`http://127.0.0.1:${port}/api/agents`)).data;
  await agent.waitForOutput(new RegExp(`msg="connected to bridge" .*bridge=127\\.0\\.0\\.1:${a.ingestPort}`));
  await eventually(async () => (await agentsOf(a.httpPort)).some((x) => x.id === 'fo-1' && x.state === 'connected'), 20_000, 'on bridge A');
  assert.deepEqual(await agentsOf(b.httpPort), [], 'only on one bridge at a time');
  await eventually(() => JSON.parse(readFileSync(statusFile, 'utf8')).bridge === `127.0.0.1:${a.ingestPort}`, 20_000, 'status file names bridge A');

  await a.proc.kill('SIGKILL');
  await agent.waitForOutput(new RegExp(`msg="lost connection to bridge, reconnecting" .*bridge=127\\.0\\.0\\.1:${a.ingestPort} next=127\\.0\\.0\\.1:${b.ingestPort}`));
  await agent.waitForOutput(new RegExp(`msg="reconnected to bridge" .*bridge=127\\.0\\.0\\.1:${b.ingestPort}`));
  await eventually(async () => (await agentsOf(b.httpPort)).some((x) => x.id === 'fo-1' && x.state === 'connected'), 20_000, 'on bridge B');
  await eventually(() => {
    const status = JSON.parse(readFileSync(statusFile, 'utf8'));
    return status.bridge === `127.0.0.1:${b.ingestPort}` && status.connection === 'connected';
  }, 20_000, 'status file names bridge B');
});

it('FLEETPULSE_SERVER with a bad entry stops the agent with an error naming it', async () => {
  const agent = runCli(['agent'], { FLEETPULSE_SERVER: '127.0.0.1:9700,bridge-b', FLEETPULSE_AGENT_ID: 'fo-2', FLEETPULSE_STATUS_FILE: join(statusDir, 'fo-2.json') });
  assert.equal(await agent.exited, 2);
  assert.match(agent.output(), /FLEETPULSE_SERVER.*entry 2 of 2 \("bridge-b"\) is not host:port/);
});
