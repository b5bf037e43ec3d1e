import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/log.js';
import type { TaskRevokeMessage, TaskRunMessage } from '../../../src/protocol/messages.js';
import type { MemberState } from '../../../src/server/tasks/run-plan.js';
import { TaskMetrics } from '../../../src/server/tasks/task-metrics.js';
import { TaskRepository } from '../../../src/server/tasks/task-repository.js';
import { RUN_LEAD_MS } from '../../../src/server/tasks/schedule.js';
import { CLOCK_WAIT_MS, TaskScheduler, TaskStoppingError, TaskStorageError, type AgentLink } from '../../../src/server/tasks/task-scheduler.js';
import type { TaskSpec } from '../../../src/server/tasks/task.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// Time is driven by hand (ManualTimers): each test asserts what happened just before and at
// the moment a slot, a clock wait or a deadline falls due, never after a real sleep.

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Agents as the scheduler sees them: connected or not, and every message sent to each. */
class FakeLink implements AgentLink {
  readonly sent: { to: string; message: TaskRunMessage | TaskRevokeMessage }[] = [];
  /** Members whose first clock sample has not arrived yet. */
  readonly clockUnknown = new Set<string>();
  constructor(public connected: Set<string>) {}
  member(id: string): MemberState {
    const on = this.connected.has(id);
    const clock = this.clockUnknown.has(id) ? {} : { clockOffsetMs: 0 };
    return { id, known: true, connected: on, ...(on ? { probe: { address: '127.0.0.1', port: 9702 }, ...clock } : {}) };
  }
  send(agentId: string, message: TaskRunMessage | TaskRevokeMessage): boolean {
    if (!this.connected.has(agentId)) return false;
    this.sent.push({ to: agentId, message });
    return true;
  }
  runs(): { to: string; message: TaskRunMessage }[] {
    return this.sent.filter((s): s is { to: string; message: TaskRunMessage } => s.message.type === 'task_run');
  }
}

async function setup(connected: string[], dir?: string, timers = new ManualTimers()) {
  const registry = new Registry();
  const link = new FakeLink(new Set(connected));
  const dataDir = dir ?? join(await mkdtemp(join(tmpdir(), 'fp-sched-')), 'tasks');
  dirs.push(dataDir);
  const scheduler = new TaskScheduler(new TaskRepository(dataDir), new TaskMetrics(registry), link, createLogger('error', {}, () => {}), timers);
  await scheduler.start();
  return { scheduler, link, registry, dataDir, timers };
}

const spec = (members: string[], startMs: number): TaskSpec => ({
  name: 'mesh', description: '', type: 'latency', members, startMs, endMs: startMs + 3600_000, periodSeconds: 60, options: { count: 10, interval_ms: 10 },
});

describe('TaskScheduler', () => {
  it('runs a task whose window has begun at once, and takes each agent\'s results', async () => {
    const { scheduler, link, registry, timers } = await setup(['a', 'b', 'c']);
    const task = await scheduler.create(spec(['a', 'b', 'c'], timers.now()));
    assert.equal(link.runs().length, 0, 'the run is armed, not yet started');
    timers.advance(0);
    assert.equal(link.runs().length, 3, 'task_run to each member');
    const secrets = new Set(link.runs().map((r) => r.message.secret));
    assert.equal(secrets.size, 1, 'one secret per run');
    assert.equal(link.runs()[0]!.message.start_at_ms, timers.now() + RUN_LEAD_MS);
    for (const { to, message } of link.runs()) {
      scheduler.onTaskResult(to, { type: 'task_result', task_id: task.id, run_id: message.run_id, results: message.targets.map((t) => ({ dst: t.agent_id, ok: true, rtt_avg_seconds: 0.002, loss_ratio: 0 })) });
    }
    const found = scheduler.get(task.id)!;
    assert.equal(found.task.status, 'running');
    assert.equal(found.task.results.size, 6);
    assert.equal(found.nextRunAtMs, task.startMs + 60_000, 'the next slot is armed');
    const text = await registry.metrics();
    assert.match(text, new RegExp(`^fleetpulse_probe_rtt_seconds\\{task="${task.id}",src="a",dst="b",stat="avg"\\} 0.002$`, 'm'));
    assert.match(text, new RegExp(`^fleetpulse_task_info\\{task="${task.id}",name="mesh",type="latency",status="running"\\} 1$`, 'm'));
    // A result for a run that is over is ignored.
    scheduler.onTaskResult('a', { type: 'task_result', task_id: task.id, run_id: 'stale', results: [{ dst: 'b', ok: false, reason: 'timeout' }] });
    assert.equal(scheduler.get(task.id)!.task.results.get('a b')!.ok, true);
    // The next run comes at the next slot of the grid, and not a moment before.
    timers.advance(60_000 - 1);
    assert.equal(link.runs().length, 3);
    timers.advance(1);
    assert.equal(link.runs().length, 6);
    await scheduler.stop();
  });

  it('at the deadline, a pair without a result counts as a timeout, or offline when its source left', async () => {
    const { scheduler, link, timers } = await setup(['a', 'b']);
    const task = await scheduler.create(spec(['a', 'b'], timers.now()));
    timers.advance(0);
    const toA = link.runs().find((r) => r.to === 'a')!.message;
    scheduler.onTaskResult('a', { type: 'task_result', task_id: task.id, run_id: toA.run_id, results: [{ dst: 'b', ok: true, rtt_avg_seconds: 0.001 }] });
    link.connected.delete('b');
    // The run's deadline, plus the grace for results still on their way (500 ms).
    const finishAt = toA.deadline_ms + 500;
    timers.advance(finishAt - timers.now() - 1);
    assert.equal(scheduler.get(task.id)!.task.results.get('b a'), undefined, 'still waiting for b');
    timers.advance(1);
    const late = scheduler.get(task.id)!.task.results.get('b a')!;
    assert.equal(late.reason, 'offline');
    assert.equal(late.atMs, finishAt);
    assert.equal(scheduler.get(task.id)!.task.results.get('a b')!.ok, true, 'the result that came stays');
    await scheduler.stop();
  });

  it('a run with fewer than 2 members online fails with the reason, and offline pairs count as failures', async () => {
    const { scheduler, link, registry, timers } = await setup(['a']);
    const task = await scheduler.create(spec(['a', 'b'], timers.now()));
    timers.advance(0);
    assert.equal(scheduler.get(task.id)!.task.status, 'failed');
    assert.match(scheduler.get(task.id)!.task.statusReason!, /fewer than 2 members can take part \(b is not connected\)/);
    assert.equal(link.runs().length, 0);
    assert.match(await registry.metrics(), new RegExp(`^fleetpulse_probe_failures_total\\{task="${task.id}",src="b",dst="a",reason="offline"\\} 1$`, 'm'));
    await scheduler.stop();
  });

  it('deleting revokes the task on connected members and removes its series and file', async () => {
    const { scheduler, link, registry, dataDir, timers } = await setup(['a', 'b']);
    const task = await scheduler.create(spec(['a', 'b'], timers.now()));
    timers.advance(0);
    assert.equal(link.runs().length, 2);
    assert.equal(await scheduler.delete(task.id), true);
    assert.deepEqual(link.sent.filter((s) => s.message.type === 'task_revoke').map((s) => s.to), ['a', 'b']);
    assert.doesNotMatch(await registry.metrics(), new RegExp(task.id));
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(dataDir), []);
    assert.equal(await scheduler.delete(task.id), false);
    assert.equal(timers.armed, 0, 'no slot or deadline left armed');
    await scheduler.stop();
  });

  it('after a restart, resumes at the next slot of the grid without running at once', async () => {
    const timers = new ManualTimers();
    const first = await setup(['a', 'b'], undefined, timers);
    const startMs = timers.now() - 125_000; // slots at -125 s, -65 s, -5 s, +55 s
    const task = await first.scheduler.create(spec(['a', 'b'], startMs));
    timers.advance(0);
    assert.equal(first.link.runs().length, 2, 'the first run');
    await first.scheduler.stop();
    const second = await setup(['a', 'b'], first.dataDir, timers);
    const resumed = second.scheduler.get(task.id)!;
    assert.equal(resumed.nextRunAtMs, startMs + 180_000);
    assert.equal(resumed.task.name, 'mesh');
    timers.advance(55_000 - 1);
    assert.equal(second.link.runs().length, 0, 'no catch-up run');
    timers.advance(1);
    assert.equal(second.link.runs().length, 2, 'the run at the next slot');
    await second.scheduler.stop();
  });

  it('creates nothing when the task file cannot be written, and says where', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fp-sched-'));
    dirs.push(root);
    const { scheduler, timers } = await setup(['a', 'b'], join(root, 'tasks'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, 'tasks'), 'a file where the task directory should be');
    await assert.rejects(scheduler.create(spec(['a', 'b'], timers.now())), (err: Error) => err instanceof TaskStorageError && /^cannot save the task in .*\/tasks: .*EEXIST.*FLEETPULSE_DATA_DIR/.test(err.message));
    assert.deepEqual(scheduler.list(), []);
    assert.equal(timers.armed, 0);
    await scheduler.stop();
  });

  it('once stopped (files flushed for the exit), creates and deletes nothing and says the bridge is stopping', async () => {
    const { scheduler, dataDir, timers } = await setup(['a', 'b']);
    const task = await scheduler.create(spec(['a', 'b'], timers.now()));
    await scheduler.stop();
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(dataDir);
    await assert.rejects(scheduler.create(spec(['a', 'b'], timers.now())), (err: Error) => err instanceof TaskStoppingError && /stopping/.test(err.message));
    await assert.rejects(scheduler.delete(task.id), TaskStoppingError);
    assert.equal(await scheduler.delete('t_ffffffffffffffffffff'), false, 'an unknown id is still not found');
    assert.deepEqual(await readdir(dataDir), files, 'no write started after the flush');
    assert.deepEqual(scheduler.list().map((t) => t.task.id), [task.id]);
  });

  it('a task created before its start waits for it', async () => {
    const { scheduler, link, timers } = await setup(['a', 'b']);
    const task = await scheduler.create(spec(['a', 'b'], timers.now() + 60_000));
    assert.equal(task.status, 'scheduled');
    timers.advance(60_000 - 1);
    assert.equal(link.runs().length, 0);
    timers.advance(1);
    assert.equal(link.runs().length, 2);
    await scheduler.stop();
  });

  it('a latency run waits for a just-connected member\'s first clock sample, so one-way figures are not lost', async () => {
    const { scheduler, link, timers } = await setup(['a', 'b']);
    link.clockUnknown.add('b');
    await scheduler.create(spec(['a', 'b'], timers.now()));
    timers.advance(300);
    assert.equal(link.runs().length, 0, 'no run while b\'s offset is unknown');
    link.clockUnknown.delete('b');
    timers.advance(100);
    assert.equal(link.runs().length, 2, 'the run at the next check once the offset is known');
    for (const { message } of link.runs()) {
      assert.equal(message.clock_offset_ms, 0);
      assert.ok(message.targets.every((t) => t.clock_offset_ms === 0), JSON.stringify(message.targets));
    }
    await scheduler.stop();
  });

  it('a latency run goes ahead without an offset that never comes, and a bandwidth run never waits for one', async () => {
    const { scheduler, link, timers } = await setup(['a', 'b']);
    link.clockUnknown.add('b');
    await scheduler.create({ ...spec(['a', 'b'], timers.now()), type: 'bandwidth', options: { duration_ms: 1000 } });
    timers.advance(0);
    assert.equal(link.runs().length, 2, 'the bandwidth run at once');
    const latency = await scheduler.create(spec(['a', 'b'], timers.now()));
    const latencyRuns = () => link.runs().filter((r) => r.message.task_id === latency.id);
    timers.advance(CLOCK_WAIT_MS - 1);
    assert.equal(latencyRuns().length, 0, 'it waits');
    timers.advance(1);
    assert.equal(latencyRuns().length, 2, 'the latency run once the wait is over');
    const toA = latencyRuns().find((r) => r.to === 'a')!.message;
    assert.equal(toA.targets[0]!.clock_offset_ms, undefined, 'sent without b\'s offset');
    await scheduler.stop();
  });
});
