// When runs happen (each kind says how long one takes: task-kinds.ts). Pure, so the
// arithmetic is tested without timers.

/** From sending task_run to the first probe: every member has granted the secret by then. */
export const RUN_LEAD_MS = 1500;
/**
 * After the probing: the result's way back to the bridge. A bandwidth pair whose sink report
 * is late (measureBandwidth waits up to 5 s for it) may miss the deadline and count as a
 * timeout; waiting for it would make every bandwidth period 5 s longer for a rare failure.
 */
export const RESULT_MARGIN_MS = 1000;

/** The part of a task that says when it runs. */
export interface RunGrid {
  startMs: number;
  endMs: number;
  periodSeconds: number;
}

const periodMs = (grid: RunGrid): number => grid.periodSeconds * 1000;

/** The first slot start + k * period (k >= 0) at or after tMs and before the end; undefined when none is left. */
export function slotAtOrAfter(spec: RunGrid, tMs: number): number | undefined {
  const k = tMs <= spec.startMs ? 0 : Math.ceil((tMs - spec.startMs) / periodMs(spec));
  const slot = spec.startMs + k * periodMs(spec);
  return slot < spec.endMs ? slot : undefined;
}
