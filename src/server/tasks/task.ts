import type { ProbeFigure, ProbeResultReason, TaskKind } from '../../protocol/messages.js';
import type { BandwidthOptions } from './kind-bandwidth.js';
import type { LatencyOptions } from './kind-latency.js';

// A measurement task: what to measure between which agents, when, and what came of it.
// docs/tasks.md describes the model, the API and the metrics.

export const MAX_TASKS = 50;
export const MIN_MEMBERS = 2;
export const MAX_MEMBERS = 20;
export const MIN_PERIOD_SECONDS = 10;
export const MAX_PERIOD_SECONDS = 86_400;
export const MAX_NAME_CHARS = 64;
export const MAX_DESCRIPTION_CHARS = 500;

export type TaskOptions = LatencyOptions | BandwidthOptions;

/** What the operator asked for; fixed once the task exists. */
export interface TaskSpec {
  name: string;
  description: string;
  type: TaskKind;
  /** Agent ids, distinct, in the order given. */
  members: string[];
  startMs: number;
  endMs: number;
  periodSeconds: number;
  /** With every default filled in. */
  options: TaskOptions;
}

export type TaskStatus = 'scheduled' | 'running' | 'finished' | 'failed';

/** The latest outcome of one ordered pair. */
export interface PairResult {
  src: string;
  dst: string;
  ok: boolean;
  /** Bridge clock, when the result arrived (or was decided, for offline and timeout). */
  atMs: number;
  reason: ProbeResultReason | null;
  message: string | null;
  figures: Partial<Record<ProbeFigure, number>>;
}

export interface Task extends TaskSpec {
  /** `t_` + 20 hex digits, random: never derived from the name, safe as a file name and label. */
  id: string;
  createdAtMs: number;
  status: TaskStatus;
  statusReason: string | null;
  lastRunAtMs: number | null;
  /** Keyed by pairKey(src, dst). */
  results: Map<string, PairResult>;
}

export const TASK_ID_RE = /^t_[0-9a-f]{20}$/;
