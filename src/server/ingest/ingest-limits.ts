// What one agent may make the bridge hold, checked while its hello and batches are read
// (docs/protocol.md, "Limits and defaults"). Each has a setting and an error code.
import type { BridgeOptions } from '../options.js';

/** The limits the intake checks a batch against; documented with the options they come from. */
export type IngestLimits = Pick<
  BridgeOptions,
  'maxSeriesPerAgent' | 'maxSeries' | 'maxBytesPerAgent' | 'maxMetricNameBytes' | 'maxLabelNameBytes' | 'maxLabelValueBytes' | 'maxBatchAgeMs'
>;

/** A batch stamped further ahead of the bridge's clock than this is refused whole (FP_BAD_TIMESTAMP). */
export const MAX_BATCH_FUTURE_MS = 10 * 60_000;

/** Exposition bytes left for the batch being rendered; rendering stops as soon as it runs out. */
export interface ByteBudget {
  remaining: number;
}
