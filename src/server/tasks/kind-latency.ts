import { RESULT_MARGIN_MS } from './schedule.js';
import type { TaskKindModule } from './task-kind.js';

/** Probe packets between every ordered pair, all pairs at once (docs/tasks.md). */
export interface LatencyOptions {
  /** Probe packets per pair and run. */
  count: number;
  interval_ms: number;
}

/** measureLatency waits up to this for each reply, and up to 4 times it in all after the last probe. */
export const LATENCY_PROBE_TIMEOUT_MS = 1000;

export const latencyKind: TaskKindModule = {
  options: { count: { min: 1, max: 100, default: 10 }, interval_ms: { min: 1, max: 1000, default: 10 } },
  waitsForClockOffsets: true,
  timePairs: (_pairs, options) => {
    const { count, interval_ms } = options as unknown as LatencyOptions;
    return { offsetsMs: new Map(), workMs: count * interval_ms + 4 * LATENCY_PROBE_TIMEOUT_MS + RESULT_MARGIN_MS };
  },
  describeWork: (_pairs, options) => {
    const { count, interval_ms } = options as unknown as LatencyOptions;
    return `${count} probes ${interval_ms} ms apart, plus waiting for late replies`;
  },
};
