import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually } from '../helpers/http.js';
import { closedTcpPort } from '../helpers/ports.js';
import { killAll, runCli, startBridgeProcess } from '../helpers/processes.js';

// Issue 11 item 1: an agent (child process) with FLEETPULSE_BUFFER_DIR collects while no bridge
// is reachable, is killed -9, and started again with the same directory and a bridge: the
// batches of the first run reach that bridge and are acknowledged, none is dropped. Asserted as
// events (files, log lines, the bridge's /metrics), never as a time.

const dir = mkdtempSync(join(tmpdir(), 'fp-outbox-restart-'));
after(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

const AGENT_ID = 'outbox-restart';
const agentEnv = (server: string) => ({
  FLEETPULSE_SERVER: server,
  FLEETPULSE_AGENT_ID: AGENT_ID,
  FLEETPULSE_INTERVAL: '200ms',
  FLEETPULSE_COLLECTORS: 'loadavg,meminfo',
  FLEETPULSE_COLLECTOR_TIMEOUT: '10s',
  FLEETPULSE_PROBES: 'off',
  FLEETPULSE_RECONNECT_MAX: '1s',
  FLEETPULSE_BUFFER_DIR: dir,
  FLEETPULSE_BUFFER_REPLAY_RATE: '20',
  FLEETPULSE_STATUS_FILE: join(dir, 'status.json'),
  FLEETPULSE_LOG_LEVEL: 'info',
});

const outboxDir = join(dir, AGENT_ID);
const batchFiles = () => (existsSync(outboxDir) ? readdirSync(outboxDir).filter((n) => n.endsWith('.batch')).sort() : []);

/** `name{labels} value` from a bridge's /metrics, for this agent. */
async function metricValues(httpPort: number, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(`instance="${AGENT_ID}"`)) continue;
    const reason = /reason="([^"]*)"/.exec(line)?.[1] ?? '';
    values.set(reason, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return values;
}

it('batches collected before an agent restart (kill -9) reach the bridge after it, none dropped', { timeout: 180_000 }, async () => {
  const first = runCli(['agent'], agentEnv(`127.0.0.1:${await closedTcpPort()}`));
  await eventually(() => batchFiles().length >= 8, 60_000, 'eight batches waiting on disk');
  await first.kill('SIGKILL');
  const before = batchFiles();
  const seqsBefore = before.map((n) => Number(n.slice(0, 16)));
  assert.deepEqual(seqsBefore, seqsBefore.map((_, i) => seqsBefore[0]! + i), `consecutive seqs on disk: ${before.join(' ')}`);

  const bridge = await startBridgeProcess();
  const second = runCli(['agent'], agentEnv(`127.0.0.1:${bridge.ingestPort}`));
  const [, restored] = await second.waitForOutput(/msg="outbox restored batches from the previous run" .*batches=(\d+)/);
  assert.ok(Number(restored) >= before.length, `restored ${restored} of the ${before.length} files seen after the kill`);
  await second.waitForOutput(/msg="connected to bridge" .*outbox_batches=\d+/);
  await second.waitForOutput(/msg="outbox backlog delivered"/, 60_000);
  // Every file of the first run is gone: each was acknowledged by the bridge (or it would wait there still).
  await eventually(() => before.every((name) => !batchFiles().includes(name)), 30_000, 'the first run\'s batches acknowledged');

  // The agent's own counters, as the bridge exposes them: the backlog was sent, nothing dropped.
  await eventually(async () => ((await metricValues(bridge.httpPort, 'fleetpulse_agent_buffer_replayed_batches_total')).get('') ?? 0) >= before.length - 1, 30_000, 'replayed count on the bridge');
  const dropped = await metricValues(bridge.httpPort, 'fleetpulse_agent_buffer_dropped_batches_total');
  assert.deepEqual([...dropped.keys()].sort(), ['corrupt', 'full', 'refused', 'too_large', 'too_old']);
  assert.deepEqual([...dropped.values()], [0, 0, 0, 0, 0], 'no batch dropped');
  const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { outbox: { where: string } };
  assert.equal(status.outbox.where, outboxDir);
});
