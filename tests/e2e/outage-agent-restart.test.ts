import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '../helpers/http.js';
import { agentStatus, INTERVAL_MS, startOutageAgent } from '../helpers/outage.js';
import { closedTcpPort } from '../helpers/ports.js';
import { killAll, restartBridgeProcess, startBridgeProcess } from '../helpers/processes.js';
import { describeGaps, gapReport, type GapReport } from '../helpers/sample-gaps.js';
import { removeAllVictoriaMetrics, skipUnlessVictoriaMetrics, startVictoriaMetrics } from '../helpers/victoria-metrics.js';

// Issue 11, the agent's side: with FLEETPULSE_BUFFER_DIR the batches collected while the bridge
// was gone survive a restart of the agent itself and reach the receiver (a real VictoriaMetrics)
// once both are back; and an outbox that fills drops its oldest batches, counted, within its bound.

const statusDir = mkdtempSync(join(tmpdir(), 'fp-outage-agent-'));
const bufferDirs: string[] = [];
after(async () => {
  await killAll();
  await removeAllVictoriaMetrics();
  for (const dir of [statusDir, ...bufferDirs]) rmSync(dir, { recursive: true, force: true });
});

const bufferDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-outage-buffer-'));
  bufferDirs.push(dir);
  return dir;
};

describe('the agent outbox', () => {
  it('agent restarted with FLEETPULSE_BUFFER_DIR while the bridge is down: the batches from before the restart arrive', { skip: skipUnlessVictoriaMetrics(), timeout: 300_000 }, async (t) => {
    const id = 'outage-agent';
    const selector = `node_load1{instance="${id}"}`;
    const vm = await startVictoriaMetrics();
    const env = { FLEETPULSE_REMOTE_WRITE_URL: vm.writeUrl };
    let bridge = await startBridgeProcess(env);
    const buffer = { FLEETPULSE_BUFFER_DIR: bufferDir() };
    let agent = startOutageAgent(id, [bridge.ingestPort], statusDir, buffer);
    const startedAt = Date.now();
    await eventually(async () => (await vm.timestampsOf(selector, { fromMs: startedAt - 5000, toMs: Date.now() })).length >= 3, 60_000, 'three samples in the receiver first');

    const killedAt = Date.now();
    await bridge.proc.kill('SIGKILL');
    await eventually(() => (agentStatus(statusDir, id)?.outbox?.batches ?? 0) >= 10, 120_000, '10 batches waiting in the agent\'s outbox');
    assert.ok(readdirSync(buffer.FLEETPULSE_BUFFER_DIR).length > 0, 'the outbox is on disk');
    assert.equal(await agent.kill('SIGTERM'), 0, 'the agent stops cleanly');
    const lastBeforeRestart = agentStatus(statusDir, id)!;
    const waiting = lastBeforeRestart.outbox!.batches;

    bridge = await restartBridgeProcess(bridge, env);
    const firstRun = agent;
    agent = startOutageAgent(id, [bridge.ingestPort], statusDir, buffer);
    await agent.waitForOutput(/msg="connected to bridge"/);
    // The window of the first run's outage: from before the bridge died to the agent's last
    // collection, whose batch (stamped with that very time) must arrive too.
    const lastMs = lastBeforeRestart.last_collection_ms;
    const window = { fromMs: killedAt - 2 * INTERVAL_MS, toMs: lastMs, intervalMs: INTERVAL_MS };
    let report: GapReport | undefined;
    let stamps: number[] = [];
    await eventually(async () => {
      stamps = await vm.timestampsOf(selector, window);
      report = gapReport(stamps, window);
      return report.worstGapMs <= 2 * INTERVAL_MS && stamps.includes(lastMs);
    }, 180_000, 'the batches of before the restart in the receiver, the last one included').catch((err) => {
      const last = stamps.includes(lastMs) ? 'present' : 'MISSING';
      throw new Error(`${err}\n${report ? describeGaps(report) : 'no report'}; the last batch before the restart (${new Date(lastMs).toISOString()}) is ${last}\n` +
        `first run:\n${firstRun.output().slice(-2000)}\nsecond run:\n${agent.output().slice(-3000)}\nbridge:\n${bridge.proc.output().slice(-2000)}`);
    });
    t.diagnostic(`agent restart figures: ${describeGaps(report!)}; ${waiting} batches on disk when the agent stopped`);
  });

  it('an outbox that fills up drops its oldest batches, counts them, and stays within FLEETPULSE_BUFFER_MAX_BYTES', { timeout: 300_000 }, async () => {
    const id = 'outage-full';
    const maxBytes = 64 * 1024;
    // A bridge that is never there: everything the agent collects waits.
    const agent = startOutageAgent(id, [await closedTcpPort()], statusDir, {
      FLEETPULSE_BUFFER_MAX_BYTES: String(maxBytes),
      // Many series per batch, so 64 KiB fills within a minute or two.
      FLEETPULSE_COLLECTORS: 'loadavg,meminfo,stat,netdev,vmstat',
    });
    const firstOldest = (await eventually(() => agentStatus(statusDir, id)?.outbox?.oldest_ms, 60_000, 'a first batch waiting'))!;
    let status = agentStatus(statusDir, id);
    await eventually(() => {
      status = agentStatus(statusDir, id);
      return (status?.outbox?.dropped.full ?? 0) >= 3;
    }, 240_000, 'three batches dropped as full').catch((err) => {
      throw new Error(`${err}\n${JSON.stringify(agentStatus(statusDir, id))}\nagent:\n${agent.output().slice(-3000)}`);
    });
    const outbox = status!.outbox!;
    assert.ok(outbox.bytes <= maxBytes, `${outbox.bytes} bytes held, at most ${maxBytes}`);
    assert.ok(outbox.batches > 0, 'batches are still kept');
    assert.ok(outbox.oldest_ms! > firstOldest, 'the oldest batches were the ones dropped');
    assert.match(agent.output(), /level=warn .*full/, 'the drop is logged');
  });
});
