import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually } from '../helpers/http.js';
import { agentStatus, INTERVAL_MS, replayOrder, startOutageAgent, waitForNoGap } from '../helpers/outage.js';
import { killAll, restartBridgeProcess, startBridgeProcess } from '../helpers/processes.js';
import { startReceiverProxy, type ReceiverProxy } from '../helpers/receiver-proxy.js';
import { describeGaps } from '../helpers/sample-gaps.js';
import { removeAllVictoriaMetrics, skipUnlessVictoriaMetrics, startVictoriaMetrics } from '../helpers/victoria-metrics.js';

// Issue 11, "kill -9 of the bridge for >= 20 s with an agent at a 1 s interval": the agent keeps
// every batch in its outbox while the bridge is gone; after the restart the receiver (a real
// VictoriaMetrics behind a recording proxy) holds every second of the outage with the agent's
// own timestamps, and the newest batch reached it before the backlog. Judged on the agent's own
// timestamps (no gap over 2 intervals), never on how long anything took.

const OUTAGE_MS = 20_000;
const ID = 'outage-kill';
const SERIES = { __name__: 'node_load1', instance: ID };
const SELECTOR = `node_load1{instance="${ID}"}`;

const statusDir = mkdtempSync(join(tmpdir(), 'fp-outage-kill-'));
let proxy: ReceiverProxy | undefined;
after(async () => {
  await killAll();
  await proxy?.close();
  await removeAllVictoriaMetrics();
  rmSync(statusDir, { recursive: true, force: true });
});

it('kill -9 of the bridge for 20 s: after the restart the receiver has every second of it, the newest batch first', { skip: skipUnlessVictoriaMetrics(), timeout: 300_000 }, async (t) => {
  const vm = await startVictoriaMetrics();
  proxy = await startReceiverProxy(vm.url);
  const env = { FLEETPULSE_REMOTE_WRITE_URL: `${proxy.url}/api/v1/write`, FLEETPULSE_HEARTBEAT: '1s' };
  let bridge = await startBridgeProcess(env);
  const agent = startOutageAgent(ID, [bridge.ingestPort], statusDir);
  const startedAt = Date.now();
  await agent.waitForOutput(/msg="connected to bridge"/);
  await eventually(async () => (await vm.timestampsOf(SELECTOR, { fromMs: startedAt - 5000, toMs: Date.now() })).length >= 3, 60_000, 'three samples in the receiver before the outage');

  const killedAt = Date.now();
  await bridge.proc.kill('SIGKILL');
  await agent.waitForOutput(/msg="lost connection to bridge, reconnecting"/);
  // The outage lasts 20 s of wall time and 20 of the agent's own collections, whichever is later.
  await eventually(() => Date.now() - killedAt >= OUTAGE_MS && (agentStatus(statusDir, ID)?.outbox?.batches ?? 0) >= OUTAGE_MS / INTERVAL_MS, 120_000, `20 s and 20 batches waiting in the agent's outbox (status: ${JSON.stringify(agentStatus(statusDir, ID))})`);
  const backlog = agentStatus(statusDir, ID)!.outbox!.batches;

  const requestsBefore = proxy.exchanges.length;
  bridge = await restartBridgeProcess(bridge, env);
  const restartedAt = Date.now();
  // The agent's own clock at the welcome: batches collected before it are the backlog.
  const [, reconnectedIso] = await agent.waitForOutput(/ts=(\S+) level=info msg="reconnected to bridge"/);
  const reconnectedAt = Date.parse(reconnectedIso!);

  // Complete once the agent's outbox is empty again and the receiver has the window.
  const window = { fromMs: killedAt - 2 * INTERVAL_MS, toMs: reconnectedAt + 2 * INTERVAL_MS, intervalMs: INTERVAL_MS };
  const report = await waitForNoGap(vm, SELECTOR, window, 'the outage filled in the receiver and the outbox drained',
    [{ name: 'agent', output: agent.output }, { name: 'bridge', output: bridge.proc.output }], { statusDir, id: ID });

  const order = replayOrder(proxy.exchanges, SERIES, requestsBefore, reconnectedAt);
  assert.ok(order, 'requests after the restart carried the agent\'s series');
  assert.ok(order.backlogLater.length > 0, `the backlog came after a first request (first carried ${order.first.length} samples)`);
  assert.ok(
    Math.min(...order.first) > Math.max(...order.backlogLater),
    `the first request after the restart carried the newest batch (${order.first.map((x) => new Date(x).toISOString()).join(', ')}), ` +
      `not the backlog that followed (${new Date(order.backlogLater[0]!).toISOString()}..${new Date(order.backlogLater.at(-1)!).toISOString()})`,
  );

  t.diagnostic(`outage figures: ${describeGaps(report)}; outage ${((restartedAt - killedAt) / 1000).toFixed(1)} s wall, ${backlog} batches waiting at the restart; ` +
    `replay: first request after the restart #${order.firstRequest} carried ${order.first.length} sample(s) of ${new Date(Math.max(...order.first)).toISOString()}, ` +
    `then ${order.backlogLater.length} older samples in ${order.backlogRequests} requests`);
});
