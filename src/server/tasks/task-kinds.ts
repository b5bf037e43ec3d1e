import type { TaskKind } from '../../protocol/messages.js';
import { bandwidthKind } from './kind-bandwidth.js';
import { latencyKind } from './kind-latency.js';
import { orderedPairs } from './pairs.js';
import { RUN_LEAD_MS } from './schedule.js';
import type { TaskKindModule } from './task-kind.js';
import type { TaskSpec } from './task.js';

/** Every kind of measurement task, by the name the API and the protocol use. */
const KINDS: Readonly<Record<TaskKind, TaskKindModule>> = {
  latency: latencyKind,
  bandwidth: bandwidthKind,
};

export function kindOf(kind: TaskKind): TaskKindModule {
  return KINDS[kind];
}

type RunShape = Pick<TaskSpec, 'type' | 'members' | 'options'>;

/** From a run's start_at to its deadline, with every member taking part. */
export function runWorkMs(spec: RunShape): number {
  return kindOf(spec.type).timePairs(orderedPairs(spec.members), spec.options as unknown as Record<string, number>).workMs;
}

/** A whole run, from task_run to the last result; must fit in the period so runs never overlap. */
export function runSpanMs(spec: RunShape): number {
  return RUN_LEAD_MS + runWorkMs(spec);
}
