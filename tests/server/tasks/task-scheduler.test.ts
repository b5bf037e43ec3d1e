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
import { CLOCK_WAIT_MS, TaskScheduler, TaskStorageError, type AgentLink } from '../../../src/server/tasks/task-scheduler.js';
import type { TaskSpec } from '../../../src/server/tasks/task.js';
import { eventually } from '../../helpers/http.js';

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

async function setup(connected: string[], dir?: string) {
  const registry = new Registry();
  const link = new FakeLink(new Set(connected));
  const dataDir = dir ?? join(await mkdtemp(join(tmpdir(), 'fp-sched-')), 'tasks');
  dirs.push(dataDir);
  const scheduler = new TaskScheduler(new TaskRepository(dataDir), new TaskMetrics(registry), link, createLogger('error', {}, () => {}));
  await scheduler.start();
  return { scheduler, link, registry, dataDir };
}

const spec = (members: string[], startMs = Date.now()): TaskSpec => ({
  name: 'mesh', description: '', type: 'latency', members, startMs, endMs: startMs + 3600_000, periodSeconds: 60, options: { count: 10, interval_ms: 10 },
});

describe('TaskScheduler', () => {
  it('runs a task whose window has begun at once, and takes each agent\'s results', async () => {
    const { scheduler, link, registry } = await setup(['a', 'b', 'c']);
    const task = await scheduler.create(spec(['a', 'b', 'c']));
    await eventually(() => link.runs().length === 3, 2000, 'task_run to each member');
    const secrets = new Set(link.runs().map((r) => r.message.secret));
    assert.equal(secrets.size, 1, 'one secret per run');
    for (const { to, message } of link.runs()) {
      scheduler.onTaskResult(to, { type: 'task_result', task_id: task.id, run_id: message.run_id, results: message.targets.map((t) => ({ dst: t.agent_id, ok: true, rtt_avg_seconds: 0.002, loss_ratio: 0 })) });
    }
    const found = scheduler.get(task.id)!;
    assert.equal(found.task.status, 'running');
    assert.equal(found.task.results.size, 6);
    assert.ok(found.nextRunAtMs! > Date.now(), 'the next slot is armed');
    const text = await registry.metrics();
    assert.match(text, new RegExp(`^fleetpulse_probe_rtt_seconds\\{task="${task.id}",src="a",dst="b",stat="avg"\\} 0.002$`, 'm'));
    assert.match(text, new RegExp(`^fleetpulse_task_info\\{task="${task.id}",name="mesh",type="latency",status="running"\\} 1$`, 'm'));
    // A result for a run that is over is ignored.
    scheduler.onTaskResult('a', { type: 'task_result', task_id: task.id, run_id: 'stale', results: [{ dst: 'b', ok: false, reason: 'timeout' }] });
    assert.equal(scheduler.get(task.id)!.task.results.get('a b')!.ok, true);
    await scheduler.stop();
  });

  it('a run with fewer than 2 members online fails with the reason, and offline pairs count as failures', async () => {
    const { scheduler, link, registry } = await setup(['a']);
    const task = await scheduler.create(spec(['a', 'b']));
    await eventually(() => scheduler.get(task.id)!.task.status === 'failed', 2000, 'failed status');
    assert.match(scheduler.get(task.id)!.task.statusReason!, /fewer than 2 members can take part \(b is not connected\)/);
    assert.equal(link.runs().length, 0);
    assert.match(await registry.metrics(), new RegExp(`^fleetpulse_probe_failures_total\\{task="${task.id}",src="b",dst="a",reason="offline"\\} 1$`, 'm'));
    await scheduler.stop();
  });

  it('deleting revokes the task on connected members and removes its series and file', async () => {
    const { scheduler, link, registry, dataDir } = await setup(['a', 'b']);
    const task = await scheduler.create(spec(['a', 'b']));
    await eventually(() => link.runs().length === 2, 2000, 'task_run');
    assert.equal(await scheduler.delete(task.id), true);
    assert.deepEqual(link.sent.filter((s) => s.message.type === 'task_revoke').map((s) => s.to), ['a', 'b']);
    assert.doesNotMatch(await registry.metrics(), new RegExp(task.id));
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(dataDir), []);
    assert.equal(await scheduler.delete(task.id), false);
    await scheduler.stop();
  });

  it('after a restart, resumes at the next slot of the grid without running at once', async () => {
    const first = await setup(['a', 'b']);
    const startMs = Date.now() - 125_000; // slots at -125 s, -65 s, -5 s, +55 s
    const task = await first.scheduler.create(spec(['a', 'b'], startMs));
    await eventually(() => first.link.runs().length === 2, 2000, 'the first run');
    await first.scheduler.stop();
    const second = await setup(['a', 'b'], first.dataDir);
    const resumed = second.scheduler.get(task.id)!;
    assert.equal(resumed.nextRunAtMs, startMs + 180_000);
    assert.equal(resumed.task.name, 'mesh');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(second.link.runs().length, 0, 'no catch-up run');
    await second.scheduler.stop();
  });

  it('creates nothing when the task file cannot be written, and says where', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fp-sched-'));
    dirs.push(root);
    const { scheduler } = await setup(['a', 'b'], join(root, 'tasks'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, 'tasks'), 'a file where the task directory should be');
    await assert.rejects(scheduler.create(spec(['a', 'b'])), (err: Error) => err instanceof TaskStorageError && /^cannot save the task in .*\/tasks: .*EEXIST.*FLEETPULSE_DATA_DIR/.test(err.message));
    assert.deepEqual(scheduler.list(), []);
    await scheduler.stop();
  });

  it('a task created before its start waits for it', async () => {
    const { scheduler, link } = await setup(['a', 'b']);
    const task = await scheduler.create(spec(['a', 'b'], Date.now() + 60_000));
    assert.equal(task.status, 'scheduled');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(link.runs().length, 0);
    await scheduler.stop();
  });

  it('a latency run waits for a just-connected member\'s first clock sample, so one-way figures are not lost', async () => {
    const { scheduler, link } = await setup(['a', 'b']);
    link.clockUnknown.add('b');
    await scheduler.create(spec(['a', 'b']));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(link.runs().length, 0, 'no run while b\'s offset is unknown');
    link.clockUnknown.delete('b');
    await eventually(() => link.runs().length === 2, 1000, 'the run once the offset is known');
    for (const { message } of link.runs()) {
      assert.equal(message.clock_offset_ms, 0);
      assert.ok(message.targets.every((t) => t.clock_offset_ms === 0), JSON.stringify(message.targets));
    }
    await scheduler.stop();
  });

  it('a latency run goes ahead without an offset that never comes, and a bandwidth run never waits for one', async () => {
    const { scheduler, link } = await setup(['a', 'b']);
    link.clockUnknown.add('b');
    const createdAt = Date.now();
    await scheduler.create({ ...spec(['a', 'b']), type: 'bandwidth', options: { duration_ms: 1000 } });
    await eventually(() => link.runs().length === 2, 500, 'the bandwidth run at once');
    const latency = await scheduler.create(spec(['a', 'b']));
    await eventually(() => link.runs().filter((r) => r.message.task_id === latency.id).length === 2, CLOCK_WAIT_MS + 1000, 'the latency run after the wait');
    assert.ok(Date.now() - createdAt >= CLOCK_WAIT_MS - 50, 'it waited');
    const toA = link.runs().find((r) => r.message.task_id === latency.id && r.to === 'a')!.message;
    assert.equal(toA.targets[0]!.clock_offset_ms, undefined, 'sent without b\'s offset');
    await scheduler.stop();
  });
});
