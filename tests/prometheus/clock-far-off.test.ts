import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { epochMs } from '../../src/net/epoch-clock.js';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { eventually } from '../helpers/http.js';
import { LineClient } from '../helpers/line-client.js';
import { skipUnlessInstalled, startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';

// FP_BAD_TIMESTAMP is counted per bridge only (fleetpulse_bridge_frames_rejected_total{reason},
// no agent label). AgentClockFarOff names the agent from the heartbeat's clock offset instead:
// here a real bridge refuses the batches of an agent whose clock is an hour ahead, a real
// Prometheus scrapes it, and the rule's own expression (prometheus/rules/fleetpulse.yml) picks
// out that agent and no other.

const RULES = fileURLToPath(new URL('../../prometheus/rules/fleetpulse.yml', import.meta.url));
const HOUR_MS = 3_600_000;

function ruleExpr(alert: string): string {
  const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] }).groups;
  const rule = groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  assert.ok(rule, `${alert} in ${RULES}`);
  return rule.expr;
}

/** An agent whose clock runs skewMs ahead of the bridge's: its pongs and its batches say so. */
async function skewedAgent(port: number, id: string, skewMs: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  c.onMessage((m) => {
    if (m.type === 'ping') c.send({ type: 'pong', id: m.id, t0: m.t0, t1: epochMs() + skewMs, t2: epochMs() + skewMs });
  });
  c.hello(id, { interval_ms: 1000 });
  await c.waitFor((m) => m.type === 'welcome');
  return c;
}

function batch(seq: number, timestampMs: number): Record<string, unknown> {
  return { type: 'metrics', seq, timestamp_ms: Math.round(timestampMs), families: [{ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: seq }] }] };
}

describe('AgentClockFarOff against a real bridge and Prometheus', { skip: skipUnlessInstalled('prometheus') }, () => {
  let bridge: TestBridge;
  let prometheus: TestPrometheus;
  const clients: LineClient[] = [];

  before(async () => {
    bridge = await startTestBridge({ heartbeatMs: 200 });
    prometheus = await startPrometheus(`127.0.0.1:${bridge.httpPort}`);
  });

  after(async () => {
    for (const c of clients) c.close();
    await prometheus?.stop();
    await bridge?.stop();
  });

  it('names the agent whose batches are refused with FP_BAD_TIMESTAMP, and not the one on time', async () => {
    const ahead = await skewedAgent(bridge.ingestPort, 'clock-ahead', HOUR_MS);
    const onTime = await skewedAgent(bridge.ingestPort, 'on-time', 0);
    clients.push(ahead, onTime);
    ahead.send(batch(1, epochMs() + HOUR_MS));
    const refused = await ahead.waitForError('FP_BAD_TIMESTAMP');
    assert.equal(refused.seq, 1);
    onTime.send(batch(1, epochMs()));
    await onTime.waitFor((m) => m.type === 'ack' && m.seq === 1);

    // What the bridge exposes about the refusal: a count per reason, naming nobody.
    const [rejected] = await eventually(async () => {
      const r = await prometheus.query('fleetpulse_bridge_frames_rejected_total{job="fleetpulse", reason="bad_timestamp"} > 0');
      return r.length > 0 ? r : undefined;
    }, 60_000, 'bad_timestamp refusals scraped');
    assert.equal(rejected!.metric.instance, `127.0.0.1:${bridge.httpPort}`, 'the refusal counter carries the bridge, not the agent');

    const expr = ruleExpr('AgentClockFarOff');
    const firing = await eventually(async () => {
      const r = await prometheus.query(expr);
      return r.length > 0 && (await prometheus.query('fleetpulse_agent_clock_offset_seconds{instance="on-time"}')).length > 0 ? r : undefined;
    }, 60_000, 'AgentClockFarOff\'s expression to hold');
    assert.deepEqual(firing.map((s) => s.metric.instance), ['clock-ahead']);
    assert.ok(Math.abs(Number(firing[0]!.value[1]) - 3600) < 60, `offset ${firing[0]!.value[1]} s, about an hour`);
  });
});
