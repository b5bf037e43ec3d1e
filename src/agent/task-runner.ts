import type { Logger } from '../log.js';
import { TASK_KINDS, type TaskResultMessage, type TaskRevokeMessage, type TaskRunMessage, type TaskRunTarget, type WireProbeResult } from '../protocol/messages.js';
import { AGENT_ID_RE } from '../protocol/names.js';
import { epochMs, measureBandwidth, measureLatency, type EpochClock, type ProbeResponder } from './probes/index.js';
import { wireResult } from './task-result.js';

// The agent's part of a measurement task (docs/tasks.md): grant the run's secret to our
// responder, probe each target from its start time, and report each pair's result. Probes
// are async I/O on the event loop, bounded in number, so metrics keep flowing meanwhile.

export interface TaskRunnerDeps {
  responder: Pick<ProbeResponder, 'allow' | 'revoke'>;
  send(message: TaskResultMessage): void;
  log: Logger;
  clock?: EpochClock;
  measureLatency?: typeof measureLatency;
  measureBandwidth?: typeof measureBandwidth;
  /** Probes running at once over all tasks; more wait their turn (until their deadline). */
  maxConcurrentProbes?: number;
}

/** How late a bandwidth pair may start: later and it would run into the next pair's slot. */
const BANDWIDTH_LATE_START_MS = 1000;
/** Per-reply wait of latency probes; the bridge's deadline allows 4 of it after the last probe. */
const LATENCY_TIMEOUT_MS = 1000;
const MAX_TARGETS = 64;
const HOST_RE = /^[A-Za-z0-9.:_%-]{1,253}$/;

interface Run {
  runId: string;
  timers: Set<NodeJS.Timeout>;
  cancelled: boolean;
}

const validTarget = (t: TaskRunTarget): boolean =>
  typeof t === 'object' && t !== null && typeof t.agent_id === 'string' && AGENT_ID_RE.test(t.agent_id) &&
  typeof t.address === 'string' && HOST_RE.test(t.address) && Number.isInteger(t.port) && t.port >= 1 && t.port <= 65535 &&
  (t.clock_offset_ms === undefined || Number.isFinite(t.clock_offset_ms)) && (t.start_at_ms === undefined || Number.isFinite(t.start_at_ms));

/** Runs the task_run messages the bridge sends; one run per task at a time. */
export class TaskRunner {
  private readonly runs = new Map<string, Run>();
  private readonly clock: EpochClock;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly deps: TaskRunnerDeps) {
    this.clock = deps.clock ?? epochMs;
  }

  handle(message: TaskRunMessage | TaskRevokeMessage): void {
    if (message.type === 'task_revoke') return this.revoke(message.task_id);
    this.start(message);
  }

  /** Stops everything (agent shutdown). */
  stop(): void {
    for (const taskId of [...this.runs.keys()]) this.cancel(taskId);
  }

  private revoke(taskId: string): void {
    this.cancel(taskId);
    this.deps.responder.revoke(taskId);
    this.deps.log.info('task revoked by the bridge', { task: taskId });
  }

  private cancel(taskId: string): void {
    const run = this.runs.get(taskId);
    if (!run) return;
    run.cancelled = true;
    for (const timer of run.timers) clearTimeout(timer);
    this.runs.delete(taskId);
  }

  private start(m: TaskRunMessage): void {
    const { log } = this.deps;
    const targets = Array.isArray(m.targets) ? m.targets : [];
    if (!TASK_KINDS.includes(m.kind) || targets.length > MAX_TARGETS || !targets.every(validTarget) || !(m.deadline_ms > m.start_at_ms)) {
      log.warn('ignoring a task_run this agent cannot use', { task: m.task_id, run: m.run_id });
      return;
    }
    // Bridge times to ours: the bridge tells us our offset (our clock minus its clock).
    const selfOffsetMs = m.clock_offset_ms;
    const toLocal = (bridgeMs: number): number => bridgeMs + (selfOffsetMs ?? 0);
    const deadlineMs = toLocal(m.deadline_ms);
    try {
      // Granted at once, so peers' probes are answered from the run's start on.
      this.deps.responder.allow(m.task_id, m.secret, Math.max(1000, deadlineMs - this.clock() + 1000));
    } catch (err) {
      log.warn('ignoring a task_run with an unusable grant', { task: m.task_id, error: (err as Error).message });
      return;
    }
    this.cancel(m.task_id);
    const run: Run = { runId: m.run_id, timers: new Set(), cancelled: false };
    this.runs.set(m.task_id, run);
    log.debug('task run', { task: m.task_id, run: m.run_id, kind: m.kind, targets: targets.length });
    let pending = targets.length;
    const finished = (): void => {
      if (--pending === 0 && this.runs.get(m.task_id) === run) this.runs.delete(m.task_id);
    };
    if (pending === 0) this.runs.delete(m.task_id);
    for (const target of targets) {
      const startMs = toLocal(target.start_at_ms ?? m.start_at_ms);
      const timer = setTimeout(() => {
        run.timers.delete(timer);
        void this.probe(m, run, target, startMs, deadlineMs).finally(finished);
      }, Math.max(0, startMs - this.clock()));
      run.timers.add(timer);
    }
  }

  private async probe(m: TaskRunMessage, run: Run, target: TaskRunTarget, startMs: number, deadlineMs: number): Promise<void> {
    let result: WireProbeResult;
    const acquired = await this.acquire(run, deadlineMs);
    try {
      if (run.cancelled) return;
      const lateMs = this.clock() - startMs;
      if (!acquired) result = { dst: target.agent_id, ok: false, reason: 'timeout', message: 'this agent was too busy with other probes to start before the deadline' };
      else if (m.kind === 'bandwidth' && lateMs > BANDWIDTH_LATE_START_MS) result = { dst: target.agent_id, ok: false, reason: 'error', message: `started ${Math.round(lateMs)} ms after its slot; skipped so it cannot overlap the next transfer` };
      else result = await this.measure(m, target);
    } finally {
      if (acquired) this.release();
    }
    if (run.cancelled) return;
    this.deps.send({ type: 'task_result', task_id: m.task_id, run_id: m.run_id, results: [result] });
  }

  private async measure(m: TaskRunMessage, target: TaskRunTarget): Promise<WireProbeResult> {
    const common = { host: target.address, port: target.port, taskId: m.task_id, secret: m.secret };
    if (m.kind === 'bandwidth') {
      const measure = this.deps.measureBandwidth ?? measureBandwidth;
      return wireResult(target.agent_id, await measure({ ...common, durationMs: m.options.duration_ms, connectTimeoutMs: 1000 }));
    }
    const self = m.clock_offset_ms;
    const peer = target.clock_offset_ms;
    const measure = this.deps.measureLatency ?? measureLatency;
    const result = await measure({
      ...common,
      count: m.options.count,
      intervalMs: m.options.interval_ms,
      timeoutMs: LATENCY_TIMEOUT_MS,
      // One-way figures only when the bridge knows both clocks.
      ...(self !== undefined && peer !== undefined ? { clockOffsetMs: { self, peer } } : {}),
    });
    return wireResult(target.agent_id, result);
  }

  /** Waits for a probe slot; false when the deadline or a cancel came first. */
  private async acquire(run: Run, deadlineMs: number): Promise<boolean> {
    const limit = this.deps.maxConcurrentProbes ?? 32;
    while (this.running >= limit) {
      const waitMs = deadlineMs - this.clock();
      if (waitMs <= 0 || run.cancelled) return false;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.waiting.push(wake);
      });
    }
    this.running++;
    return true;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
