import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '../helpers/http.js';
import { agentStatus, outboxDrained, bridgeMetric, INTERVAL_MS, startOutageAgent, waitForNoGap } from '../helpers/outage.js';
import { killAll, startBridgeProcess } from '../helpers/processes.js';
import { startReceiverProxy, type ReceiverProxy } from '../helpers/receiver-proxy.js';
import { decodeWriteRequest, timestampsIn } from '../helpers/remote-write-body.js';
import { describeGaps, type GapReport } from '../helpers/sample-gaps.js';
import { removeAllVictoriaMetrics, skipUnlessVictoriaMetrics, startVictoriaMetrics } from '../helpers/victoria-metrics.js';

// Issue 11, the receiver's side of an outage, with a real VictoriaMetrics and real bridge and
// agent processes: while the receiver is down for 15 s nothing is lost (the bridge holds back
// its acks, the agent keeps the batches), and a receiver that refuses one batch with a 400
// does not block the queue: that batch is dropped, counted and logged, the next ones flow.

const RECEIVER_DOWN_MS = 15_000;
const statusDir = mkdtempSync(join(tmpdir(), 'fp-outage-receiver-'));
const proxies: ReceiverProxy[] = [];
after(async () => {
  await killAll();
  await Promise.all(proxies.map((p) => p.close()));
  await removeAllVictoriaMetrics();
  rmSync(statusDir, { recursive: true, force: true });
});

/** Fails with the last report and both processes' logs. */
function withLogs(what: string, report: () => GapReport | undefined, ...logs: { name: string; output(): string }[]) {
  return (err: unknown) => {
    const last = report();
    throw new Error(`${String(err)}\n${what}: ${last ? describeGaps(last) : 'no report'}\n${logs.map((l) => `${l.name}:\n${l.output().slice(-3000)}`).join('\n')}`);
  };
}

describe('remote_write receiver outages', { skip: skipUnlessVictoriaMetrics() }, () => {
  it('receiver down for 15 s: no gap once it is back, and the live view stayed live meanwhile', { timeout: 300_000 }, async (t) => {
    const id = 'outage-receiver';
    const selector = `node_load1{instance="${id}"}`;
    const vm = await startVictoriaMetrics();
    const bridge = await startBridgeProcess({ FLEETPULSE_REMOTE_WRITE_URL: vm.writeUrl, FLEETPULSE_REMOTE_WRITE_RETRY_MAX: '2s' });
    const agent = startOutageAgent(id, [bridge.ingestPort], statusDir);
    const startedAt = Date.now();
    await eventually(async () => (await vm.timestampsOf(selector, { fromMs: startedAt - 5000, toMs: Date.now() })).length >= 3, 60_000, 'three samples in the receiver first');

    const stoppedAt = Date.now();
    await vm.stop();
    const url = { url: vm.writeUrl };
    await eventually(async () => Date.now() - stoppedAt >= RECEIVER_DOWN_MS && (await bridgeMetric(bridge.httpPort, 'fleetpulse_remote_write_requests_total', { ...url, status: 'error' })) >= 1, 120_000, '15 s down, and the bridge saw failed requests');
    // Scrape is the live view: the agent is up there, whatever the receiver does.
    assert.equal(await bridgeMetric(bridge.httpPort, 'fleetpulse_agent_up', { instance: id }), 1, 'the agent is up on /metrics while the receiver is down');
    const waiting = agentStatus(statusDir, id)?.outbox?.batches ?? 0;
    assert.ok(waiting > 0, 'batches the receiver has not got are not acknowledged: they wait in the agent\'s outbox');

    await vm.restart();
    const restartedAt = Date.now();
    const window = { fromMs: stoppedAt - 2 * INTERVAL_MS, toMs: restartedAt + 2 * INTERVAL_MS, intervalMs: INTERVAL_MS };
    const report = await waitForNoGap(vm, selector, window, 'no gap over 2 intervals across the receiver outage',
      [{ name: 'agent', output: agent.output }, { name: 'bridge', output: bridge.proc.output }]);
    t.diagnostic(`receiver down figures: ${describeGaps(report)}; down ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s, ${waiting} batches waiting in the agent at 15 s`);
  });

  it('a receiver answering 400 for one batch: that batch is dropped, counted and logged, and the queue moves on', { timeout: 300_000 }, async (t) => {
    const id = 'outage-poison';
    const series = { __name__: 'node_load1', instance: id };
    const selector = `node_load1{instance="${id}"}`;
    const vm = await startVictoriaMetrics();
    const proxy = await startReceiverProxy(vm.url);
    proxies.push(proxy);
    const writeUrl = `${proxy.url}/api/v1/write`;
    const bridge = await startBridgeProcess({ FLEETPULSE_REMOTE_WRITE_URL: writeUrl, FLEETPULSE_REMOTE_WRITE_RETRY_MAX: '2s' });
    const agent = startOutageAgent(id, [bridge.ingestPort], statusDir);
    const startedAt = Date.now();
    await eventually(async () => (await vm.timestampsOf(selector, { fromMs: startedAt - 5000, toMs: Date.now() })).length >= 3, 60_000, 'three samples in the receiver first');

    // The next request that carries the agent's series is refused, once.
    let poisoned: number[] | undefined;
    proxy.setRule((req) => {
      if (poisoned !== undefined || !req.path.endsWith('/write')) return 'forward';
      const stamps = timestampsIn(decodeWriteRequest(req.body), series);
      if (stamps.length === 0) return 'forward';
      poisoned = stamps;
      return { status: 400, body: 'out of bounds: test proxy refuses this batch\n' };
    });
    await eventually(() => poisoned, 60_000, 'a request refused with 400');
    const refusedUpTo = Math.max(...poisoned!);

    await eventually(async () => (await bridgeMetric(bridge.httpPort, 'fleetpulse_remote_write_samples_dropped_total', { url: writeUrl })) >= poisoned!.length, 60_000, 'the refused samples counted as dropped').catch(withLogs('400', () => undefined, { name: 'bridge', output: bridge.proc.output }));
    await bridge.proc.waitForOutput(/level=(warn|error) .*400.*out of bounds: test proxy refuses this batch/, 30_000);
    // Not blocked: later batches reach the receiver, and the agent's outbox empties.
    await eventually(async () => (await vm.timestampsOf(selector, { fromMs: refusedUpTo + 1, toMs: Date.now() })).length >= 3, 60_000, 'three samples after the refused batch in the receiver').catch(withLogs('after 400', () => undefined, { name: 'agent', output: agent.output }, { name: 'bridge', output: bridge.proc.output }));
    await eventually(() => outboxDrained(statusDir, id), 60_000, 'the agent\'s outbox drains (the refused batch was acknowledged as dropped, not kept forever)');
    const refusals = proxy.exchanges.filter((e) => e.answered === 400);
    assert.equal(refusals.length, 1, 'the refused request was not retried');
    const stored = await vm.timestampsOf(selector, { fromMs: Math.min(...poisoned!), toMs: refusedUpTo });
    assert.deepEqual(stored, [], 'the refused samples are not in the receiver (dropped, as the receiver asked)');
    t.diagnostic(`400 figures: ${poisoned!.length} sample(s) of the series refused (request #${refusals[0]!.index}), dropped and counted; ${proxy.exchanges.length - refusals[0]!.index - 1} requests forwarded after it`);
  });
});
