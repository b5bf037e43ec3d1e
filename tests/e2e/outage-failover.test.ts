import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually } from '../helpers/http.js';
import { bridgeMetric, INTERVAL_MS, startOutageAgent, waitForNoGap } from '../helpers/outage.js';
import { killAll, startBridgeProcess } from '../helpers/processes.js';
import { describeGaps } from '../helpers/sample-gaps.js';
import { removeAllVictoriaMetrics, skipUnlessVictoriaMetrics, startVictoriaMetrics } from '../helpers/victoria-metrics.js';

// Issue 11, "two bridges, kill -9 one": both bridges remote_write to one real VictoriaMetrics;
// the agent (FLEETPULSE_SERVER=a,b) is on a; a is killed -9. The agent is on b after one
// reconnect attempt whose delay is within the backoff cap (its debug log says so: an event, not
// a stopwatch), the receiver has no gap across the move, and still one series for the agent
// (bridges add no label of their own). bridge-failover.test.ts covers the move without a receiver.

const RECONNECT_MAX_MS = 2000;
const ID = 'outage-failover';
const SELECTOR = `node_load1{instance="${ID}"}`;
const statusDir = mkdtempSync(join(tmpdir(), 'fp-outage-failover-'));
after(async () => {
  await killAll();
  await removeAllVictoriaMetrics();
  rmSync(statusDir, { recursive: true, force: true });
});

it('two bridges, kill -9 of the one in use: the agent is on the other within the backoff cap, and the receiver has no gap', { skip: skipUnlessVictoriaMetrics(), timeout: 300_000 }, async (t) => {
  const vm = await startVictoriaMetrics();
  const env = { FLEETPULSE_REMOTE_WRITE_URL: vm.writeUrl, FLEETPULSE_HEARTBEAT: '1s' };
  const a = await startBridgeProcess(env);
  const b = await startBridgeProcess(env);
  const agent = startOutageAgent(ID, [a.ingestPort, b.ingestPort], statusDir, { FLEETPULSE_RECONNECT_MAX: `${RECONNECT_MAX_MS}ms` });
  const startedAt = Date.now();
  await agent.waitForOutput(new RegExp(`msg="connected to bridge" .*bridge=127\\.0\\.0\\.1:${a.ingestPort}`));
  await eventually(async () => (await vm.timestampsOf(SELECTOR, { fromMs: startedAt - 5000, toMs: Date.now() })).length >= 3, 60_000, 'three samples in the receiver through bridge a');

  const killedAt = Date.now();
  await a.proc.kill('SIGKILL');
  const lost = await agent.waitForOutput(new RegExp(`msg="lost connection to bridge, reconnecting" .*bridge=127\\.0\\.0\\.1:${a.ingestPort} next=127\\.0\\.0\\.1:${b.ingestPort}`));
  const [reconnectLine, reconnectedIso] = await agent.waitForOutput(new RegExp(`ts=(\\S+) level=info msg="reconnected to bridge" .*bridge=127\\.0\\.0\\.1:${b.ingestPort}`));
  const reconnectedAt = Date.parse(reconnectedIso!);
  // Between losing a and the welcome of b: exactly one attempt, scheduled within the cap.
  const output = agent.output();
  const between = output.slice(output.indexOf(lost[0]), output.indexOf(reconnectLine!));
  const attempts = [...between.matchAll(/msg="reconnect scheduled" .*delay_ms=(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(attempts.length, 1, `one reconnect attempt from a to b:\n${between}`);
  assert.ok(attempts[0]! <= RECONNECT_MAX_MS, `its delay ${attempts[0]} ms is within FLEETPULSE_RECONNECT_MAX ${RECONNECT_MAX_MS} ms`);
  await eventually(async () => (await bridgeMetric(b.httpPort, 'fleetpulse_agent_up', { instance: ID })) === 1, 30_000, 'the agent up on bridge b');

  const window = { fromMs: killedAt - 2 * INTERVAL_MS, toMs: reconnectedAt + 2 * INTERVAL_MS, intervalMs: INTERVAL_MS };
  const report = await waitForNoGap(vm, SELECTOR, window, 'no gap over 2 intervals across the move, outbox drained',
    [{ name: 'agent', output: agent.output }, { name: 'bridge b', output: b.proc.output }], { statusDir, id: ID });
  // timestampsOf above fails if the agent's node_load1 were two series (one per bridge).
  const series = await vm.exportSeries(SELECTOR, { fromMs: startedAt - 5000, toMs: Date.now() });
  assert.equal(series.length, 1, `one series for the agent across both bridges: ${series.map((s) => JSON.stringify(s.metric)).join(' ')}`);

  t.diagnostic(`failover figures: kill -9 of bridge a to the agent's welcome from bridge b ${reconnectedAt - killedAt} ms (one attempt, scheduled delay ${attempts[0]} ms, cap ${RECONNECT_MAX_MS} ms); receiver: ${describeGaps(report)}`);
});
