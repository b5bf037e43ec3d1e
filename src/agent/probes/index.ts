// The agent's probe engine: a responder peers measure against, and the two measurements.
export { ProbeResponder, DEFAULT_PROBE_PORT, type ProbeResponderOptions, type ResponderCounters } from './responder.js';
export { measureLatency, type LatencyOptions, type LatencyResult } from './latency.js';
export { measureBandwidth, type BandwidthOptions, type BandwidthResult } from './bandwidth.js';
export type { ClockOffsets, OneWayStats } from './latency-stats.js';
export type { ProbeFailure, ProbeFailureReason } from './result.js';
export { epochMs, type EpochClock } from './clock.js';
