// What one agent may make the bridge hold, checked while its hello and batches are read
// (docs/protocol.md, "Limits and defaults"). Each has a setting and an error code.

export interface IngestLimits {
  /** A batch with more samples than this is refused whole (FP_SERIES_LIMIT). */
  maxSeriesPerAgent: number;
  /** Series of all agents together; a batch that would pass it is refused whole (FP_FLEET_SERIES_LIMIT). */
  maxSeries: number;
  /** Exposition text of one agent's batch; refused whole past it (FP_AGENT_BYTES_LIMIT). */
  maxBytesPerAgent: number;
  /** Longest metric name (FP_METRIC_NAME_TOO_LONG). */
  maxMetricNameBytes: number;
  /** Longest sample label name and value (FP_LABEL_TOO_LONG). */
  maxLabelNameBytes: number;
  maxLabelValueBytes: number;
  /** A batch whose timestamp_ms is older than this, by the bridge's clock, is refused whole (FP_BAD_TIMESTAMP). */
  maxBatchAgeMs: number;
}

/** The defaults of the settings, for code and tests that do not go through src/config. */
export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxSeriesPerAgent: 10_000,
  maxSeries: 5_000_000,
  maxBytesPerAgent: 8 * 1024 * 1024,
  maxMetricNameBytes: 256,
  maxLabelNameBytes: 128,
  maxLabelValueBytes: 4096,
  maxBatchAgeMs: 24 * 3_600_000,
};

/** A batch stamped further ahead of the bridge's clock than this is refused whole (FP_BAD_TIMESTAMP). */
export const MAX_BATCH_FUTURE_MS = 10 * 60_000;

/** Exposition bytes left for the batch being rendered; rendering stops as soon as it runs out. */
export interface ByteBudget {
  remaining: number;
}
