import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { TaskResultMessage, TaskRevokeMessage, TaskRunMessage } from '../../protocol/messages.js';
import { backgroundTimers, type TimerHandle, type Timers } from '../../net/timers.js';
import { acceptResults, overdueResults, planRun, type MemberState, type RunPlan } from './run-plan.js';
import { slotAtOrAfter } from './schedule.js';
import { pairKey } from './pairs.js';
import { kindOf } from './task-kinds.js';
import { MAX_TASKS, type PairResult, type Task, type TaskSpec } from './task.js';
import type { TaskMetrics } from './task-metrics.js';
import type { TaskRepository } from './task-repository.js';

/** What the scheduler needs of the agents' connections. */
export interface AgentLink {
  member(id: string): MemberState;
  /** False when the agent is not connected. */
  send(agentId: string, message: TaskRunMessage | TaskRevokeMessage): boolean;
}

/** Thrown by create() when the bridge already holds MAX_TASKS tasks (a 409). */
export class TaskLimitError extends Error {}

/** Thrown by create() when the task file cannot be written; nothing was created. */
export class TaskStorageError extends Error {}

/** Thrown by create() and delete() once the bridge is stopping: its task files are already flushed (a 503). */
export class TaskStoppingError extends Error {
  constructor() {
    super('the bridge is stopping; send this again once it is back');
  }
}

/** Results may still be on their way when the deadline passes. */
const COLLECT_GRACE_MS = 500;

/**
 * A latency run waits up to this long for a just-connected member's first clock sample (the
 * bridge pings right after the welcome, so it is normally there within one round trip):
 * without it the run would lose that member's one-way figures.
 */
export const CLOCK_WAIT_MS = 2000;
const CLOCK_RETRY_MS = 100;

interface ActiveRun {
  plan: RunPlan;
  timer: TimerHandle;
}

/**
 * Owns the tasks: creates and deletes them, runs each on its slots (start + k * period until
 * end), hands task_run to the members, collects their results until the deadline, and keeps
 * status, files and metrics in step. After a restart each task resumes at its next slot;
 * missed slots are not made up.
 */
export class TaskScheduler {
  private readonly tasks = new Map<string, Task>();
  /** The armed timer of each task's next slot (or of its clock-offset retry). */
  private readonly slots = new Map<string, TimerHandle>();
  private readonly nextRunAt = new Map<string, number>();
  private readonly active = new Map<string, ActiveRun>();
  private stopped = false;

  constructor(
    private readonly repository: TaskRepository,
    private readonly metrics: TaskMetrics,
    private readonly link: AgentLink,
    private readonly log: Logger,
    private readonly timers: Timers = backgroundTimers,
  ) {}

  private now(): number {
    return this.timers.now();
  }

  /** Loads the task files and arms their next slots; corrupt files are set aside. Throws TaskFileError on an unreadable one. */
  async start(): Promise<void> {
    const { tasks, ignored, corrupt } = await this.repository.loadAll();
    for (const name of ignored) this.log.warn('ignoring a file in the task directory that is not a task file', { dir: this.repository.dir, file: name });
    for (const file of corrupt) {
      this.metrics.corruptFile();
      this.log.error('task file is corrupt; starting without it', {
        path: file.path,
        moved_to: file.movedTo ?? 'nowhere (it could not be renamed; it stays and is skipped at every start)',
        problem: file.problem,
        hint: 'fix the file and move it back to <id>.json before a restart, or delete it',
      });
    }
    for (const task of tasks) {
      this.tasks.set(task.id, task);
      for (const result of task.results.values()) if (result.ok) this.metrics.record(task.id, result);
      this.metrics.setInfo(task);
      this.armNext(task, this.now());
    }
    if (tasks.length > 0) this.log.info('tasks loaded', { tasks: tasks.length, dir: this.repository.dir });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.slots.values()) timer.cancel();
    for (const run of this.active.values()) run.timer.cancel();
    this.slots.clear();
    this.active.clear();
    await this.repository.flush();
  }

  list(): { task: Task; nextRunAtMs: number | undefined }[] {
    return [...this.tasks.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id)).map((task) => ({ task, nextRunAtMs: this.nextRunAt.get(task.id) }));
  }

  get(id: string): { task: Task; nextRunAtMs: number | undefined } | undefined {
    const task = this.tasks.get(id);
    return task && { task, nextRunAtMs: this.nextRunAt.get(id) };
  }

  isKnownAgent(id: string): boolean {
    return this.link.member(id).known;
  }

  /** Stores a new task (file first: nothing exists unless it is saved) and schedules it. */
  async create(spec: TaskSpec): Promise<Task> {
    // After stop() flushed the files, a write could be cut short by the exit (and answered by nobody).
    if (this.stopped) throw new TaskStoppingError();
    if (this.tasks.size >= MAX_TASKS) throw new TaskLimitError(`the bridge holds ${MAX_TASKS} tasks, the most it allows; delete one first`);
    const now = this.now();
    const task: Task = {
      ...spec,
      id: `t_${randomBytes(10).toString('hex')}`,
      createdAtMs: now,
      status: spec.startMs > now ? 'scheduled' : 'running',
      statusReason: null,
      lastRunAtMs: null,
      results: new Map(),
    };
    try {
      await this.repository.save(task);
    } catch (err) {
      this.log.error('cannot save a new task; it was not created', { dir: this.repository.dir, error: (err as Error).message });
      throw new TaskStorageError(`cannot save the task in ${this.repository.dir}: ${(err as Error).message} (check FLEETPULSE_DATA_DIR and its permissions)`);
    }
    this.tasks.set(task.id, task);
    this.metrics.setInfo(task);
    this.log.info('task created', { task: task.id, name: task.name, type: task.type, members: task.members.join(',') });
    // A task whose window has begun runs once right away, then on its grid.
    if (spec.startMs <= now) this.arm(task, now, now);
    else this.armNext(task, now);
    return task;
  }

  /** Stops the task, revokes its grant on every connected member, drops its series and file. */
  async delete(id: string): Promise<boolean> {
    const task = this.tasks.get(id);
    if (!task) return false;
    if (this.stopped) throw new TaskStoppingError();
    this.tasks.delete(id);
    this.slots.get(id)?.cancel();
    this.slots.delete(id);
    this.nextRunAt.delete(id);
    const run = this.active.get(id);
    run?.timer.cancel();
    this.active.delete(id);
    // Only agents with a responder know task messages (docs/protocol.md section 12).
    for (const member of task.members) if (this.link.member(member).probe) this.link.send(member, { type: 'task_revoke', task_id: id });
    this.metrics.removeTask(task);
    this.log.info('task deleted', { task: id, name: task.name });
    await this.repository.remove(id);
    return true;
  }

  /** A task_result from an agent: taken only for the task's current run and the agent's own pairs. */
  onTaskResult(agentId: string, message: TaskResultMessage): void {
    const run = this.active.get(message.task_id);
    const task = this.tasks.get(message.task_id);
    // Late results of an earlier run, or of a deleted task, are expected and ignored.
    if (!run || !task || run.plan.runId !== message.run_id) return;
    const { accepted, problems } = acceptResults(run.plan, agentId, message, this.now());
    if (problems.length > 0) this.log.warn('ignoring part of a task result', { agent: agentId, task: task.id, problems: problems.slice(0, 3).join('; ') });
    for (const result of accepted) this.store(task, result);
    if (run.plan.awaited.size === 0) this.finish(task);
  }

  /** Arms the first slot at or after tMs, or marks the task finished when none is left. */
  private armNext(task: Task, tMs: number): void {
    const slot = slotAtOrAfter(task, tMs);
    if (slot === undefined) {
      this.nextRunAt.delete(task.id);
      if (!this.active.has(task.id) && task.status !== 'finished') this.setStatus(task, 'finished', null);
      return;
    }
    this.arm(task, slot, this.now());
  }

  private arm(task: Task, slotMs: number, nowMs: number): void {
    this.slots.get(task.id)?.cancel();
    this.nextRunAt.set(task.id, slotMs);
    this.slots.set(task.id, this.timers.setTimeout(() => this.run(task, slotMs), Math.max(0, slotMs - nowMs)));
  }

  private run(task: Task, slotMs: number): void {
    if (this.stopped || this.tasks.get(task.id) !== task) return;
    if (this.active.has(task.id)) this.finish(task); // cannot happen when the period fits the run; be safe
    const now = this.now();
    const members = task.members.map((id) => this.link.member(id));
    const clockPending = members.some((m) => m.probe !== undefined && m.clockOffsetMs === undefined);
    if (kindOf(task.type).waitsForClockOffsets && clockPending && now - slotMs < CLOCK_WAIT_MS) {
      this.slots.set(task.id, this.timers.setTimeout(() => this.run(task, slotMs), CLOCK_RETRY_MS));
      return;
    }
    const plan = planRun(task, members, now, randomBytes(8).toString('hex'), randomBytes(32).toString('base64url'));
    task.lastRunAtMs = now;
    for (const result of plan.decided) this.store(task, result);
    if (plan.participants.length < 2) {
      const absent = plan.absent.map((a) => a.reason).join('; ');
      this.setStatus(task, 'failed', `the run at ${new Date(now).toISOString()} could not happen: fewer than 2 members can take part (${absent})`);
      this.log.warn('task run cannot happen', { task: task.id, absent });
    } else {
      for (const [agentId, message] of plan.messages) this.link.send(agentId, message);
      const timer = this.timers.setTimeout(() => this.finish(task), plan.deadlineMs - now + COLLECT_GRACE_MS);
      this.active.set(task.id, { plan, timer });
      const reason = plan.absent.length === 0 ? null : `left out of the last run: ${plan.absent.map((a) => a.reason).join('; ')}`;
      this.setStatus(task, 'running', reason);
    }
    this.armNext(task, slotMs + 1);
    this.save(task);
  }

  /** Ends the current run: what did not arrive is a timeout (or offline when its source left). */
  private finish(task: Task): void {
    const run = this.active.get(task.id);
    if (!run) return;
    run.timer.cancel();
    this.active.delete(task.id);
    for (const result of overdueResults(run.plan, (id) => this.link.member(id).connected, this.now())) this.store(task, result);
    if (!this.nextRunAt.has(task.id)) this.setStatus(task, 'finished', null);
    this.save(task);
  }

  private store(task: Task, result: PairResult): void {
    task.results.set(pairKey(result.src, result.dst), result);
    this.metrics.record(task.id, result);
  }

  private setStatus(task: Task, status: Task['status'], reason: string | null): void {
    task.status = status;
    task.statusReason = reason;
    this.metrics.setInfo(task);
  }

  private save(task: Task): void {
    if (this.tasks.get(task.id) !== task) return;
    this.repository.save(task).catch((err: Error) => this.log.error('cannot save task file; the task keeps running but a restart loses its latest state', { task: task.id, dir: this.repository.dir, error: err.message }));
  }
}
