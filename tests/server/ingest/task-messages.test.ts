import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseAgentMessage, parseServerMessage } from '../../../src/protocol/parse.js';
import { eventually, getText } from '../../helpers/http.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { LineClient } from '../../helpers/line-client.js';
import { epochMs } from '../../../src/net/epoch-clock.js';

// The protocol additions for measurement tasks, against a real bridge: hello.probe, the
// clock-offset estimate from pongs, task_result checks, and the reserved probe metric names.

let t: TestBridge;
const clients: LineClient[] = [];

async function agent(id: string, extra: Record<string, unknown> = {}): Promise<LineClient> {
  const c = await LineClient.connect(t.ingestPort);
  clients.push(c);
  c.hello(id, extra);
  await c.waitFor((m) => m.type === 'welcome');
  return c;
}

/**
 * Answers every ping the moment it is parsed, as an agent whose clock is skewMs ahead of the
 * bridge's would (same process, same clock: epochMs). Records the first ping's t0: an offset
 * read at time T came from exchanges within [firstT0, T], so it is off by at most (T - firstT0) / 2.
 */
function answerPings(c: LineClient, skewMs: number): { firstT0?: number } {
  const seen: { firstT0?: number } = {};
  c.onMessage((m) => {
    if (m.type !== 'ping') return;
    seen.firstT0 ??= Number(m.t0);
    const t1 = epochMs() + skewMs;
    c.send({ type: 'pong', id: m.id, t0: m.t0, t1, t2: epochMs() + skewMs });
  });
  return seen;
}

before(async () => {
  t = await startTestBridge({ heartbeatMs: 200 });
});

after(async () => {
  for (const c of clients) c.close();
  await t.stop();
});

describe('task protocol additions', () => {
  it('parses the new messages structurally', () => {
    assert.equal(parseAgentMessage('{"type":"task_result","task_id":"t","run_id":"r","results":[]}').type, 'task_result');
    assert.throws(() => parseAgentMessage('{"type":"task_result","task_id":"t","run_id":"r"}'), /"results" as a array/);
    assert.throws(() => parseAgentMessage('{"type":"hello","protocol":1,"agent_id":"a","agent_version":"1","probe":9702}'), /"probe" as a object/);
    const run = '{"type":"task_run","task_id":"t","run_id":"r","kind":"latency","secret":"s","start_at_ms":1,"deadline_ms":2,"options":{},"targets":[]}';
    assert.equal(parseServerMessage(run).type, 'task_run');
    assert.throws(() => parseServerMessage(run.replace('"secret":"s",', '')), /"secret" as a string/);
    assert.equal(parseServerMessage('{"type":"task_revoke","task_id":"t"}').type, 'task_revoke');
  });

  it('pings right after the welcome and exposes the agent\'s clock offset from the pongs', async () => {
    // A heartbeat far longer than the test: any ping that comes is the one right after the welcome.
    const quiet = await startTestBridge({ heartbeatMs: 600_000 });
    try {
      const c = await LineClient.connect(quiet.ingestPort);
      clients.push(c);
      const answers = answerPings(c, 5000);
      c.hello('skewed', { probe: { port: 9702 } });
      await c.waitFor((m) => m.type === 'welcome');
      await c.waitFor((m) => m.type === 'ping');
      const offset = await eventually(async () => {
        const m = /^fleetpulse_agent_clock_offset_seconds\{instance="skewed"\} (\S+)$/m.exec((await getText(`${quiet.url}/metrics`)).text);
        return m ? Number(m[1]) : undefined;
      }, 10_000, 'clock offset series');
      // NTP's bound: the error is at most half the round trip, whatever the machine's load made it.
      const boundS = Math.max(0.05, (epochMs() - (answers.firstT0 ?? 0)) / 2 / 1000);
      assert.ok(Math.abs(offset - 5) <= boundS, `offset ${offset} s, allowed 5 ± ${boundS} s`);
      c.close();
      await eventually(async () => !/clock_offset_seconds\{instance="skewed"\}/.test((await getText(`${quiet.url}/metrics`)).text), 10_000, 'series gone with the connection');
    } finally {
      await quiet.stop();
    }
  });

  it('ignores a bad hello.probe with a non-fatal error: the agent stays, without tasks', async () => {
    for (const probe of [{ port: 0 }, { port: 9702, address: 'http://evil/' }, { address: '10.0.0.1' }]) {
      const c = await agent(`badprobe-${probe.port ?? 'x'}`, { probe });
      const error = await c.waitForError('FP_BAD_MESSAGE');
      assert.equal(error.fatal, false);
      assert.match(String(error.message), /probe\.(port|address) .* takes no part in measurement tasks/);
      c.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [] });
      await c.waitFor((m) => m.type === 'ack');
      assert.equal(c.closed, false);
    }
  });

  it('refuses a malformed task_result without closing, and ignores results of runs it does not know', async () => {
    const c = await agent('reporter', { probe: { port: 9702 } });
    c.send({ type: 'task_result', task_id: 't_00000000000000000000', run_id: 'r' });
    const error = await c.waitForError('FP_BAD_MESSAGE');
    assert.equal(error.fatal, false);
    const before = c.received.length;
    c.send({ type: 'task_result', task_id: 't_00000000000000000000', run_id: 'r', results: [{ dst: 'x', ok: true }] });
    c.send({ type: 'metrics', seq: 7, timestamp_ms: Date.now(), families: [] });
    await c.waitFor((m) => m.type === 'ack' && m.seq === 7);
    assert.equal(c.received.slice(before).filter((m) => m.type === 'error').length, 0);
  });

  it('keeps fleetpulse_probe_ and fleetpulse_task_ names for the bridge', async () => {
    const c = await agent('impostor');
    const family = (name: string) => ({ name, type: 'gauge', help: '', samples: [{ value: 1 }] });
    c.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [family('fleetpulse_probe_rtt_seconds'), family('fleetpulse_task_info')] });
    await c.waitFor((m) => m.type === 'ack');
    const errors = c.received.filter((m) => m.type === 'error' && m.code === 'FP_INVALID_METRIC_NAME');
    assert.equal(errors.length, 2);
  });
});
