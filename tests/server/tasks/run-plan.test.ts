import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptResults, overdueResults, planRun, type MemberState } from '../../../src/server/tasks/run-plan.js';
import { RUN_LEAD_MS } from '../../../src/server/tasks/schedule.js';
import type { Task } from '../../../src/server/tasks/task.js';

const NOW = Date.parse('2030-01-01T09:00:00Z');

function task(type: Task['type'], members: string[], options: Task['options']): Task {
  return { id: 't_0123456789abcdef0123', name: 'n', description: '', type, members, startMs: NOW, endMs: NOW + 3600_000, periodSeconds: 60, options, createdAtMs: NOW, status: 'running', statusReason: null, lastRunAtMs: null, results: new Map() };
}

const up = (id: string, port: number, clockOffsetMs?: number): MemberState => ({ id, known: true, connected: true, probe: { address: '127.0.0.1', port }, ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }) });

describe('planRun', () => {
  it('latency: every member probes every other from the same start, with the clock offsets', () => {
    const plan = planRun(task('latency', ['a', 'b', 'c'], { count: 10, interval_ms: 10 }), [up('a', 1, 5), up('b', 2, -3), up('c', 3)], NOW, 'r1', 's'.repeat(43));
    assert.equal(plan.startAtMs, NOW + RUN_LEAD_MS);
    assert.ok(plan.deadlineMs > plan.startAtMs);
    assert.deepEqual([...plan.messages.keys()], ['a', 'b', 'c']);
    const a = plan.messages.get('a')!;
    assert.equal(a.clock_offset_ms, 5);
    assert.deepEqual(a.targets, [{ agent_id: 'b', address: '127.0.0.1', port: 2, clock_offset_ms: -3 }, { agent_id: 'c', address: '127.0.0.1', port: 3 }]);
    assert.equal(plan.messages.get('c')!.clock_offset_ms, undefined);
    assert.equal(plan.awaited.size, 6);
    assert.deepEqual(plan.decided, []);
  });

  it('bandwidth: pairs get successive slots, so no two transfers of the task overlap', () => {
    const plan = planRun(task('bandwidth', ['a', 'b', 'c'], { duration_ms: 1000 }), [up('a', 1), up('b', 2), up('c', 3)], NOW, 'r1', 's'.repeat(43));
    const starts = [...plan.messages.values()].flatMap((m) => m.targets.map((t) => t.start_at_ms!)).sort((x, y) => x - y);
    assert.equal(starts.length, 6);
    for (let i = 1; i < starts.length; i++) assert.equal(starts[i]! - starts[i - 1]!, 1000 + 2500);
    assert.equal(starts[0], plan.startAtMs);
    assert.ok(plan.deadlineMs >= starts.at(-1)! + 3500);
  });

  it('an offline member fails its own pairs at once; the others still run', () => {
    const plan = planRun(task('latency', ['a', 'b', 'c'], { count: 10, interval_ms: 10 }), [up('a', 1), up('b', 2), { id: 'c', known: true, connected: false }], NOW, 'r1', 'x'.repeat(43));
    assert.deepEqual([...plan.messages.keys()], ['a', 'b']);
    assert.deepEqual(plan.messages.get('a')!.targets.map((t) => t.agent_id), ['b']);
    assert.deepEqual(plan.decided.map((r) => [r.src, r.dst, r.reason]).sort(), [['a', 'c', 'offline'], ['b', 'c', 'offline'], ['c', 'a', 'offline'], ['c', 'b', 'offline']]);
    assert.equal(plan.awaited.size, 2);
    assert.deepEqual(plan.absent, [{ id: 'c', reason: 'c is not connected' }]);
  });

  it('a member without a probe responder is an error for its pairs; unknown members are offline', () => {
    const plan = planRun(task('latency', ['a', 'b', 'old', 'gone'], { count: 1, interval_ms: 1 }), [up('a', 1), up('b', 2), { id: 'old', known: true, connected: true }], NOW, 'r1', 'x'.repeat(43));
    const reasonOf = (src: string, dst: string) => plan.decided.find((r) => r.src === src && r.dst === dst)?.reason;
    assert.equal(reasonOf('a', 'old'), 'error');
    assert.equal(reasonOf('gone', 'a'), 'offline');
    assert.equal(plan.awaited.size, 2);
  });

  it('with fewer than 2 members able to take part, nothing is sent and every pair is decided', () => {
    const plan = planRun(task('latency', ['a', 'b', 'c'], { count: 10, interval_ms: 10 }), [up('a', 1)], NOW, 'r1', 'x'.repeat(43));
    assert.equal(plan.messages.size, 0);
    assert.equal(plan.decided.length, 6);
    assert.equal(plan.awaited.size, 0);
    assert.deepEqual(plan.participants, ['a']);
  });
});

describe('acceptResults and overdueResults', () => {
  const fresh = () => planRun(task('latency', ['a', 'b', 'c'], { count: 10, interval_ms: 10 }), [up('a', 1), up('b', 2), up('c', 3)], NOW, 'r1', 'x'.repeat(43));

  it('takes an agent\'s results for its own awaited pairs only', () => {
    const plan = fresh();
    const { accepted, problems } = acceptResults(plan, 'a', {
      type: 'task_result',
      task_id: plan.taskId,
      run_id: 'r1',
      results: [
        { dst: 'b', ok: true, rtt_avg_seconds: 0.001, loss_ratio: 0, one_way_delay_seconds: -0.0001 },
        { dst: 'c', ok: false, reason: 'timeout', message: 'no reply' },
        { dst: 'a', ok: true },
        { dst: 'b', ok: true, rtt_avg_seconds: 5 },
      ],
    }, NOW + 2000);
    assert.deepEqual(accepted.map((r) => [r.src, r.dst, r.ok, r.reason]), [['a', 'b', true, null], ['a', 'c', false, 'timeout']]);
    assert.equal(accepted[0]!.figures.rtt_avg_seconds, 0.001);
    assert.equal(problems.length, 2, problems.join('\n')); // a -> a, and a repeat of a -> b
    // Another agent cannot report a's pairs.
    assert.equal(acceptResults(plan, 'c', { type: 'task_result', task_id: plan.taskId, run_id: 'r1', results: [{ dst: 'b', ok: true }] }, NOW).accepted.length, 1);
    assert.equal(plan.awaited.has('c b'), false);
  });

  it('refuses implausible figures, unknown reasons and the bridge-only reason offline', () => {
    const plan = fresh();
    const bad = [{ dst: 'b', ok: true, loss_ratio: 1.5 }, { dst: 'b', ok: true, rtt_min_seconds: -1 }, { dst: 'b', ok: false, reason: 'offline' }, { dst: 'b', ok: false, reason: 'boom' }, { dst: 'b', ok: 'yes' }, 'junk'];
    const { accepted, problems } = acceptResults(plan, 'a', { type: 'task_result', task_id: plan.taskId, run_id: 'r1', results: bad as never }, NOW);
    assert.equal(accepted.length, 0);
    assert.equal(problems.length, bad.length);
  });

  it('at the deadline, what is missing is a timeout, or offline when its source went away', () => {
    const plan = fresh();
    acceptResults(plan, 'a', { type: 'task_result', task_id: plan.taskId, run_id: 'r1', results: [{ dst: 'b', ok: true }, { dst: 'c', ok: true }] }, NOW);
    const overdue = overdueResults(plan, (id) => id !== 'c', NOW + 9000);
    assert.deepEqual(overdue.map((r) => [r.src, r.dst, r.reason]).sort(), [['b', 'a', 'timeout'], ['b', 'c', 'timeout'], ['c', 'a', 'offline'], ['c', 'b', 'offline']]);
    assert.equal(plan.awaited.size, 0);
  });
});
