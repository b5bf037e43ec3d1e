import { PROBE_FIGURES, PROBE_RESULT_REASONS, type ProbeFigure, type ProbeResultReason } from '../../protocol/messages.js';
import { pairKey } from './pairs.js';
import { TASK_ID_RE, type PairResult, type Task, type TaskOptions, type TaskStatus } from './task.js';
import { TaskInputError, parseIsoTime, parseTaskInput } from './validate-task.js';

// The JSON forms of a task: the API's view (docs/tasks.md) and the task file, which is the
// view without next_run_at plus a format number. The per-run probe secrets are in neither.

export const TASK_FILE_FORMAT = 1;
const STATUSES: readonly TaskStatus[] = ['scheduled', 'running', 'finished', 'failed'];

export type ResultView = {
  src: string;
  dst: string;
  ok: boolean;
  at: string;
  reason: ProbeResultReason | null;
  message: string | null;
} & Record<ProbeFigure, number | null>;

/** The /api/tasks shape. Part of the public contract: add fields, never rename. */
export interface TaskView {
  id: string;
  name: string;
  description: string;
  type: Task['type'];
  members: string[];
  start: string;
  end: string;
  period_seconds: number;
  options: TaskOptions;
  status: TaskStatus;
  status_reason: string | null;
  created_at: string;
  last_run_at: string | null;
  next_run_at: string | null;
  results: ResultView[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : iso(ms));

export function resultView(r: PairResult): ResultView {
  const figures = Object.fromEntries(PROBE_FIGURES.map((f) => [f, r.figures[f] ?? null])) as Record<ProbeFigure, number | null>;
  return { src: r.src, dst: r.dst, ok: r.ok, at: iso(r.atMs), reason: r.reason, message: r.message, ...figures };
}

/** Results in member order (src, then dst), so the console can lay out its matrix directly. */
function orderedResults(task: Task): PairResult[] {
  const rank = new Map(task.members.map((m, i) => [m, i]));
  return [...task.results.values()].sort((a, b) => rank.get(a.src)! - rank.get(b.src)! || rank.get(a.dst)! - rank.get(b.dst)!);
}

export function taskView(task: Task, nextRunAtMs: number | undefined): TaskView {
  return {
    id: task.id,
    name: task.name,
    description: task.description,
    type: task.type,
    members: [...task.members],
    start: iso(task.startMs),
    end: iso(task.endMs),
    period_seconds: task.periodSeconds,
    options: { ...task.options },
    status: task.status,
    status_reason: task.statusReason,
    created_at: iso(task.createdAtMs),
    last_run_at: isoOrNull(task.lastRunAtMs),
    next_run_at: isoOrNull(nextRunAtMs),
    results: orderedResults(task).map(resultView),
  };
}

/** What a task file holds. */
export function taskFileJson(task: Task): string {
  const { next_run_at: _unused, ...view } = taskView(task, undefined);
  return JSON.stringify({ format: TASK_FILE_FORMAT, ...view }, null, 2) + '\n';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function storedTime(field: string, value: unknown, nullable: boolean): number | null {
  if (value === null && nullable) return null;
  return parseIsoTime(field, value);
}

function storedResult(value: unknown, i: number, members: readonly string[]): PairResult {
  const where = `results[${i}]`;
  if (!isRecord(value)) throw new TaskInputError(`${where}: is not an object`);
  const { src, dst, ok, at, reason, message } = value;
  if (typeof src !== 'string' || typeof dst !== 'string' || !members.includes(src) || !members.includes(dst) || src === dst) {
    throw new TaskInputError(`${where}: src and dst must be two different members`);
  }
  if (typeof ok !== 'boolean') throw new TaskInputError(`${where}.ok: is not true or false`);
  if (reason !== null && !PROBE_RESULT_REASONS.includes(reason as ProbeResultReason)) throw new TaskInputError(`${where}.reason: is not a known reason`);
  if (message !== null && typeof message !== 'string') throw new TaskInputError(`${where}.message: is not a string or null`);
  const figures: PairResult['figures'] = {};
  for (const f of PROBE_FIGURES) {
    const v = value[f];
    if (v === null || v === undefined) continue;
    // A one-way delay may come out below zero when the clock-offset error exceeds it.
    if (typeof v !== 'number' || !Number.isFinite(v) || (v < 0 && f !== 'one_way_delay_seconds')) throw new TaskInputError(`${where}.${f}: is not a non-negative number or null`);
    figures[f] = v;
  }
  return { src, dst, ok, atMs: storedTime(`${where}.at`, at, false)!, reason: reason as ProbeResultReason | null, message: message as string | null, figures };
}

/**
 * Reads a task file's text. Throws TaskInputError saying what is wrong; the caller names the
 * file. As strict as the API, so a hand-edited file cannot smuggle in what the API refuses.
 */
export function taskFromFile(text: string, expectedId: string): Task {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TaskInputError(`is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(json)) throw new TaskInputError('is not a JSON object');
  const { format, id, status, status_reason, created_at, last_run_at, results, ...spec } = json;
  if (format !== TASK_FILE_FORMAT) throw new TaskInputError(`format: is ${JSON.stringify(format)}; this bridge reads format ${TASK_FILE_FORMAT}`);
  if (typeof id !== 'string' || !TASK_ID_RE.test(id) || id !== expectedId) throw new TaskInputError(`id: ${JSON.stringify(id)} does not match the file name`);
  const parsed = parseTaskInput(spec);
  if (!STATUSES.includes(status as TaskStatus)) throw new TaskInputError(`status: ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}`);
  if (status_reason !== null && typeof status_reason !== 'string') throw new TaskInputError('status_reason: is not a string or null');
  if (!Array.isArray(results)) throw new TaskInputError('results: is not an array');
  const task: Task = {
    ...parsed,
    id,
    createdAtMs: storedTime('created_at', created_at, false)!,
    status: status as TaskStatus,
    statusReason: status_reason as string | null,
    lastRunAtMs: storedTime('last_run_at', last_run_at, true),
    results: new Map(),
  };
  for (const [i, r] of results.entries()) {
    const result = storedResult(r, i, task.members);
    task.results.set(pairKey(result.src, result.dst), result);
  }
  return task;
}
