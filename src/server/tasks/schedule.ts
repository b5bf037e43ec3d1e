import type { BandwidthOptions, LatencyOptions, TaskSpec } from './task.js';

// When runs happen and how long one takes. Pure, so the arithmetic is tested without timers.

/** From sending task_run to the first probe: every member has granted the secret by then. */
export const RUN_LEAD_MS = 1500;
/** measureLatency waits up to this for each reply, and up to 4 times it in all after the last probe. */
export const LATENCY_PROBE_TIMEOUT_MS = 1000;
/** Room after each bulk transfer: connect and hello (bounded to 1 s each on the agent), clock error. */
export const BANDWIDTH_SLOT_OVERHEAD_MS = 2500;
/**
 * After the probing: the result's way back to the bridge. A bandwidth pair whose sink report
 * is late (measureBandwidth waits up to 5 s for it) may miss the deadline and count as a
 * timeout; waiting for it would make every bandwidth period 5 s longer for a rare failure.
 */
export const RESULT_MARGIN_MS = 1000;

const periodMs = (spec: Pick<TaskSpec, 'periodSeconds'>): number => spec.periodSeconds * 1000;

/** The first slot start + k * period (k >= 0) at or after tMs and before the end; undefined when none is left. */
export function slotAtOrAfter(spec: Pick<TaskSpec, 'startMs' | 'endMs' | 'periodSeconds'>, tMs: number): number | undefined {
  const k = tMs <= spec.startMs ? 0 : Math.ceil((tMs - spec.startMs) / periodMs(spec));
  const slot = spec.startMs + k * periodMs(spec);
  return slot < spec.endMs ? slot : undefined;
}

/** Ordered pairs of a bandwidth run, one after another: each its own slot of this length. */
export function bandwidthSlotMs(options: BandwidthOptions): number {
  return options.duration_ms + BANDWIDTH_SLOT_OVERHEAD_MS;
}

/** From a run's start_at to its deadline: the probing itself plus the margin for results. */
export function runWorkMs(spec: Pick<TaskSpec, 'type' | 'members' | 'options'>): number {
  if (spec.type === 'latency') {
    const { count, interval_ms } = spec.options as LatencyOptions;
    return count * interval_ms + 4 * LATENCY_PROBE_TIMEOUT_MS + RESULT_MARGIN_MS;
  }
  const n = spec.members.length;
  return n * (n - 1) * bandwidthSlotMs(spec.options as BandwidthOptions) + RESULT_MARGIN_MS;
}

/** A whole run, from task_run to the last result; must fit in the period so runs never overlap. */
export function runSpanMs(spec: Pick<TaskSpec, 'type' | 'members' | 'options'>): number {
  return RUN_LEAD_MS + runWorkMs(spec);
}

/** Orders a bandwidth run's pairs so consecutive transfers mostly involve other agents. */
export function bandwidthOrder(pairs: readonly [string, string][]): [string, string][] {
  // Pairs (i, i+d) for each distance d in turn: one agent's transfers are spread over the run.
  const members = [...new Set(pairs.flat())];
  const index = new Map(members.map((m, i) => [m, i]));
  const n = members.length;
  const distance = ([src, dst]: [string, string]): number => (index.get(dst)! - index.get(src)! + n) % n;
  return [...pairs].sort((a, b) => distance(a) - distance(b) || index.get(a[0])! - index.get(b[0])!);
}
