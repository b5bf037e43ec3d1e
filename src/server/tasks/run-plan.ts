import { PROBE_FIGURES, type ProbeResultReason, type TaskResultMessage, type TaskRunMessage, type TaskRunTarget } from '../../protocol/messages.js';
import { orderedPairs, pairKey } from './pairs.js';
import { RUN_LEAD_MS } from './schedule.js';
import { kindOf } from './task-kinds.js';
import type { PairResult, Task } from './task.js';

// One run of a task: who gets which task_run, which pairs are decided at once (a member
// offline), and which results the bridge waits for until the deadline. Pure.

/** What the bridge knows of a member when a run starts. */
export interface MemberState {
  id: string;
  /** Listed in /api/agents. */
  known: boolean;
  connected: boolean;
  /** Set when connected with a probe responder. */
  probe?: { address: string; port: number };
  /** The member's clock minus the bridge's, ms. */
  clockOffsetMs?: number;
}

export interface RunPlan {
  taskId: string;
  runId: string;
  startAtMs: number;
  deadlineMs: number;
  /** One task_run per member taking part. */
  messages: Map<string, TaskRunMessage>;
  /** Pairs with a member that cannot take part, decided now. */
  decided: PairResult[];
  /** Pairs whose result the bridge waits for: pairKey -> nothing yet. */
  awaited: Set<string>;
  /** Members taking part; fewer than 2 means the run cannot happen at all. */
  participants: string[];
  /** Why members are left out, for the task's status_reason. */
  absent: { id: string; reason: string }[];
}

const MAX_MESSAGE_CHARS = 300;

function absence(m: MemberState): { reason: ProbeResultReason; text: string } | undefined {
  if (!m.known) return { reason: 'offline', text: `${m.id} is not known to the bridge` };
  if (!m.connected) return { reason: 'offline', text: `${m.id} is not connected` };
  if (!m.probe) return { reason: 'error', text: `${m.id} runs no probe responder (FLEETPULSE_PROBES=off, its probe port could not be bound, or an agent without task support)` };
  return undefined;
}

export function planRun(task: Task, members: readonly MemberState[], nowMs: number, runId: string, secret: string): RunPlan {
  const byId = new Map(members.map((m) => [m.id, m]));
  const startAtMs = nowMs + RUN_LEAD_MS;
  const absent = new Map<string, { reason: ProbeResultReason; text: string }>();
  for (const id of task.members) {
    const why = absence(byId.get(id) ?? { id, known: false, connected: false });
    if (why) absent.set(id, why);
  }
  const participants = task.members.filter((id) => !absent.has(id));
  const decided: PairResult[] = [];
  const live: [string, string][] = [];
  for (const [src, dst] of orderedPairs(task.members)) {
    const why = absent.get(src) ?? absent.get(dst);
    if (why) decided.push({ src, dst, ok: false, atMs: nowMs, reason: why.reason, message: why.text, figures: {} });
    else live.push([src, dst]);
  }

  const timing = kindOf(task.type).timePairs(live, task.options as unknown as Record<string, number>);
  const deadlineMs = startAtMs + timing.workMs;

  const messages = new Map<string, TaskRunMessage>();
  if (participants.length >= 2) {
    for (const src of participants) {
      const self = byId.get(src)!;
      const targets: TaskRunTarget[] = [];
      for (const [s, dst] of live) {
        if (s !== src) continue;
        const peer = byId.get(dst)!;
        const offsetMs = timing.offsetsMs.get(pairKey(src, dst));
        targets.push({
          agent_id: dst,
          address: peer.probe!.address,
          port: peer.probe!.port,
          ...(peer.clockOffsetMs === undefined ? {} : { clock_offset_ms: peer.clockOffsetMs }),
          ...(offsetMs === undefined ? {} : { start_at_ms: startAtMs + offsetMs }),
        });
      }
      messages.set(src, {
        type: 'task_run',
        task_id: task.id,
        run_id: runId,
        kind: task.type,
        secret,
        start_at_ms: startAtMs,
        deadline_ms: deadlineMs,
        options: { ...task.options } as unknown as Record<string, number>,
        ...(self.clockOffsetMs === undefined ? {} : { clock_offset_ms: self.clockOffsetMs }),
        targets,
      });
    }
  } else {
    // Nobody to measure against: the live pairs (none, or one member's) cannot run either.
    for (const [src, dst] of live) decided.push({ src, dst, ok: false, atMs: nowMs, reason: 'offline', message: 'fewer than 2 members can take part in this run', figures: {} });
    live.length = 0;
  }

  return {
    taskId: task.id,
    runId,
    startAtMs,
    deadlineMs,
    messages,
    decided,
    awaited: new Set(live.map(([src, dst]) => pairKey(src, dst))),
    participants,
    absent: [...absent].map(([id, why]) => ({ id, reason: why.text })),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const AGENT_REASONS: readonly ProbeResultReason[] = ['timeout', 'refused', 'unreachable', 'auth_failed', 'error'];

/**
 * Takes the results an agent reported for this run: only pairs it is the source of and the
 * bridge still waits for. Returns them and what was wrong with the rest (for the log).
 */
export function acceptResults(plan: RunPlan, src: string, message: TaskResultMessage, atMs: number): { accepted: PairResult[]; problems: string[] } {
  const accepted: PairResult[] = [];
  const problems: string[] = [];
  for (const [i, raw] of message.results.entries()) {
    const entry: Record<string, unknown> = isRecord(raw) ? raw : {};
    const dst = entry.dst;
    const key = typeof dst === 'string' ? pairKey(src, dst) : undefined;
    if (key === undefined || !plan.awaited.has(key)) {
      problems.push(`results[${i}]: ${typeof dst === 'string' ? `pair ${src} -> ${dst} is not awaited in this run` : 'dst is missing'}`);
      continue;
    }
    const ok = entry.ok;
    const reason = entry.reason;
    if (typeof ok !== 'boolean' || (!ok && !AGENT_REASONS.includes(reason as ProbeResultReason))) {
      problems.push(`results[${i}]: needs ok, and a reason (${AGENT_REASONS.join(', ')}) when not ok`);
      continue;
    }
    const figures: PairResult['figures'] = {};
    let bad: string | undefined;
    for (const f of PROBE_FIGURES) {
      const v = entry[f];
      if (v === undefined) continue;
      const isRatio = f.endsWith('_ratio');
      if (typeof v !== 'number' || !Number.isFinite(v) || (v < 0 && f !== 'one_way_delay_seconds') || (isRatio && v > 1)) bad = f;
      else if (ok) figures[f] = v;
    }
    if (bad) {
      problems.push(`results[${i}].${bad}: is not a plausible value`);
      continue;
    }
    plan.awaited.delete(key);
    const text = typeof entry.message === 'string' ? entry.message.slice(0, MAX_MESSAGE_CHARS) : null;
    accepted.push({ src, dst: dst as string, ok, atMs, reason: ok ? null : (reason as ProbeResultReason), message: ok ? null : text, figures });
  }
  return { accepted, problems };
}

/** The pairs still awaited at the deadline: offline when their source has gone, else timeout. */
export function overdueResults(plan: RunPlan, isConnected: (id: string) => boolean, atMs: number): PairResult[] {
  const overdue: PairResult[] = [];
  for (const key of plan.awaited) {
    const [src, dst] = key.split(' ') as [string, string];
    const gone = !isConnected(src);
    overdue.push({
      src,
      dst,
      ok: false,
      atMs,
      reason: gone ? 'offline' : 'timeout',
      message: gone ? `${src} disconnected during the run` : `no result from ${src} by the run's deadline`,
      figures: {},
    });
  }
  plan.awaited.clear();
  return overdue;
}
