import { pairKey } from './pairs.js';
import { RESULT_MARGIN_MS } from './schedule.js';
import type { TaskKindModule } from './task-kind.js';

/** A bulk TCP transfer per ordered pair, one pair after another (docs/tasks.md). */
export interface BandwidthOptions {
  /** Length of each pair's bulk transfer. */
  duration_ms: number;
}

/** Room after each bulk transfer: connect and hello (bounded to 1 s each on the agent), clock error. */
export const BANDWIDTH_SLOT_OVERHEAD_MS = 2500;

/** Each pair's own slot of a run. */
export function bandwidthSlotMs(options: BandwidthOptions): number {
  return options.duration_ms + BANDWIDTH_SLOT_OVERHEAD_MS;
}

/** Orders a run's pairs so consecutive transfers mostly involve other agents. */
export function bandwidthOrder(pairs: readonly [string, string][]): [string, string][] {
  // Pairs (i, i+d) for each distance d in turn: one agent's transfers are spread over the run.
  const members = [...new Set(pairs.flat())];
  const index = new Map(members.map((m, i) => [m, i]));
  const n = members.length;
  const distance = ([src, dst]: [string, string]): number => (index.get(dst)! - index.get(src)! + n) % n;
  return [...pairs].sort((a, b) => distance(a) - distance(b) || index.get(a[0])! - index.get(b[0])!);
}

export const bandwidthKind: TaskKindModule = {
  options: { duration_ms: { min: 500, max: 10_000, default: 2000 } },
  waitsForClockOffsets: false,
  timePairs: (pairs, options) => {
    const slotMs = bandwidthSlotMs(options as unknown as BandwidthOptions);
    const offsetsMs = new Map(bandwidthOrder(pairs).map(([src, dst], i) => [pairKey(src, dst), i * slotMs]));
    return { offsetsMs, workMs: pairs.length * slotMs + RESULT_MARGIN_MS };
  },
  describeWork: (pairs, options) => `${pairs} transfers of ${(options as unknown as BandwidthOptions).duration_ms} ms, one pair after another, plus set-up`,
};
