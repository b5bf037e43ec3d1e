import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskRunner } from '../../src/agent/task-runner.js';
import type { BandwidthOptions, LatencyOptions } from '../../src/agent/probes/index.js';
import { createLogger } from '../../src/log.js';
import type { TaskResultMessage, TaskRunMessage } from '../../src/protocol/messages.js';
import { eventually } from '../helpers/http.js';

const SECRET = 'k'.repeat(43);

function harness(options: { maxConcurrentProbes?: number; latencyMs?: number } = {}) {
  const grants: [string, string, number][] = [];
  const revoked: string[] = [];
  const sent: TaskResultMessage[] = [];
  const latencyCalls: (LatencyOptions & { atMs: number })[] = [];
  const bandwidthCalls: (BandwidthOptions & { atMs: number })[] = [];
  let running = 0;
  let maxRunning = 0;
  const runner = new TaskRunner({
    responder: { allow: (task, secret, ttl) => void grants.push([task, secret, ttl]), revoke: (task) => void revoked.push(task) },
    send: (m) => void sent.push(m),
    log: createLogger('error'),
    maxConcurrentProbes: options.maxConcurrentProbes ?? 32,
    measureLatency: async (o) => {
      latencyCalls.push({ ...o, atMs: Date.now() });
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((r) => setTimeout(r, options.latencyMs ?? 5));
      running--;
      return o.host === 'down'
        ? { ok: false, reason: 'timeout', message: 'no reply' }
        : { ok: true, sent: 10, delivered: 10, replies: 9, rtt: { minSeconds: 0.001, avgSeconds: 0.002, maxSeconds: 0.003 }, jitterSeconds: 0.0005, lossRatio: 0.1, forward: { delaySeconds: 0.001, jitterSeconds: 0.0002, lossRatio: 0 }, reverse: { delaySeconds: null, jitterSeconds: null, lossRatio: 0.1 }, deliveredExact: true, clockCorrected: true };
    },
    measureBandwidth: async (o) => {
      bandwidthCalls.push({ ...o, atMs: Date.now() });
      return { ok: true, bitsPerSecond: 1e9, bytes: 1, durationSeconds: 1, source: 'receiver', senderBytes: 1, truncated: false };
    },
  });
  return { runner, grants, revoked, sent, latencyCalls, bandwidthCalls, maxRunning: () => maxRunning };
}

function run(patch: Partial<TaskRunMessage> = {}): TaskRunMessage {
  const now = Date.now();
  return {
    type: 'task_run', task_id: 't_00000000000000000001', run_id: 'r1', kind: 'latency', secret: SECRET,
    start_at_ms: now + 100, deadline_ms: now + 5000, options: { count: 10, interval_ms: 10 }, clock_offset_ms: 0,
    targets: [{ agent_id: 'b', address: '127.0.0.1', port: 9702, clock_offset_ms: 2 }, { agent_id: 'c', address: 'down', port: 9702 }],
    ...patch,
  };
}

describe('TaskRunner', () => {
  it('grants the secret at once, probes from start_at, and reports each pair without nulls', async () => {
    const h = harness();
    const message = run();
    h.runner.handle(message);
    assert.equal(h.grants.length, 1, 'granted before any probe');
    assert.equal(h.grants[0]![0], message.task_id);
    assert.ok(h.grants[0]![2] >= 5000, 'the grant lasts the run');
    assert.equal(h.latencyCalls.length, 0);
    await eventually(() => h.sent.length === 2, 20_000, 'two results');
    for (const call of h.latencyCalls) assert.ok(call.atMs >= message.start_at_ms - 1, 'not before start_at');
    const b = h.latencyCalls.find((c) => c.host === '127.0.0.1')!;
    assert.deepEqual(b.clockOffsetMs, { self: 0, peer: 2 });
    assert.equal(h.latencyCalls.find((c) => c.host === 'down')!.clockOffsetMs, undefined, 'no one-way figures without both offsets');
    const results = h.sent.flatMap((m) => m.results);
    assert.deepEqual(results.find((r) => r.dst === 'b'), {
      dst: 'b', ok: true, rtt_min_seconds: 0.001, rtt_avg_seconds: 0.002, rtt_max_seconds: 0.003, jitter_seconds: 0.0005, loss_ratio: 0.1,
      one_way_delay_seconds: 0.001, one_way_jitter_seconds: 0.0002, one_way_loss_ratio: 0,
    });
    assert.deepEqual(results.find((r) => r.dst === 'c'), { dst: 'c', ok: false, reason: 'timeout', message: 'no reply' });
    assert.ok(h.sent.every((m) => m.run_id === 'r1' && m.task_id === message.task_id));
  });

  it('converts bridge times with its own clock offset', async () => {
    const h = harness();
    // Our clock is 300 ms ahead of the bridge's: start_at (bridge) = now - 250 is ours + 50.
    h.runner.handle(run({ start_at_ms: Date.now() - 250, clock_offset_ms: 300, targets: [{ agent_id: 'b', address: '127.0.0.1', port: 1 }] }));
    const handledAt = Date.now();
    await eventually(() => h.latencyCalls.length === 1, 20_000, 'probe');
    assert.ok(h.latencyCalls[0]!.atMs >= handledAt + 40, `started ${h.latencyCalls[0]!.atMs - handledAt} ms later`);
  });

  it('bandwidth: each pair at its own slot, one transfer at a time', async () => {
    const h = harness();
    const now = Date.now();
    h.runner.handle(run({ kind: 'bandwidth', options: { duration_ms: 500 }, start_at_ms: now + 50, deadline_ms: now + 5000, targets: [{ agent_id: 'b', address: '127.0.0.1', port: 1, start_at_ms: now + 50 }, { agent_id: 'c', address: '127.0.0.1', port: 2, start_at_ms: now + 300 }] }));
    await eventually(() => h.sent.length === 2, 20_000, 'two results');
    assert.deepEqual(h.bandwidthCalls.map((c) => [c.port, c.durationMs]), [[1, 500], [2, 500]]);
    // No pair before its own slot. Timers run on the monotonic clock and Date.now() on the wall
    // clock, which may disagree by a few ms (seen: 2 ms early), far below the 250 ms between slots.
    const SLACK_MS = 10;
    assert.ok(h.bandwidthCalls[0]!.atMs >= now + 50 - SLACK_MS && h.bandwidthCalls[1]!.atMs >= now + 300 - SLACK_MS, JSON.stringify(h.bandwidthCalls.map((c) => c.atMs - now)));
    assert.equal(h.sent[0]!.results[0]!.bandwidth_bits_per_second, 1e9);
  });

  it('skips a bandwidth pair that would start well after its slot', async () => {
    const h = harness();
    const now = Date.now();
    h.runner.handle(run({ kind: 'bandwidth', options: { duration_ms: 500 }, start_at_ms: now - 5000, deadline_ms: now + 5000, targets: [{ agent_id: 'b', address: '127.0.0.1', port: 1 }] }));
    await eventually(() => h.sent.length === 1, 20_000, 'result');
    assert.equal(h.bandwidthCalls.length, 0);
    assert.equal(h.sent[0]!.results[0]!.reason, 'error');
  });

  it('a revoke stops the run and its grant; nothing is reported', async () => {
    const h = harness();
    const now = Date.now();
    const message = run({ start_at_ms: now + 200 });
    h.runner.handle(message);
    h.runner.handle({ type: 'task_revoke', task_id: message.task_id });
    assert.deepEqual(h.revoked, [message.task_id]);
    // Another task whose probe is due later: timers fire in order, so once its result is in,
    // the revoked run's probe would have run before it, had it not been stopped.
    const later = run({ task_id: 't_00000000000000000002', start_at_ms: now + 400, targets: [{ agent_id: 'b', address: '127.0.0.1', port: 9702 }] });
    h.runner.handle(later);
    await eventually(() => h.sent.length === 1, 20_000, 'the later task\'s result');
    assert.deepEqual(h.latencyCalls.map((c) => c.taskId), [later.task_id]);
    assert.deepEqual(h.sent.map((m) => m.task_id), [later.task_id]);
  });

  it('keeps to its concurrency bound', async () => {
    const h = harness({ maxConcurrentProbes: 2, latencyMs: 50 });
    const targets = Array.from({ length: 6 }, (_, i) => ({ agent_id: `p${i}`, address: '127.0.0.1', port: 1000 + i }));
    h.runner.handle(run({ start_at_ms: Date.now(), targets }));
    await eventually(() => h.sent.length === 6, 20_000, 'six results');
    assert.equal(h.maxRunning(), 2);
  });

  it('ignores a task_run it cannot use', () => {
    const h = harness();
    h.runner.handle(run({ kind: 'traceroute' as never }));
    h.runner.handle(run({ targets: [{ agent_id: 'b', address: 'a b', port: 1 }] }));
    h.runner.handle(run({ deadline_ms: 0 }));
    assert.equal(h.grants.length, 0);
  });
});
