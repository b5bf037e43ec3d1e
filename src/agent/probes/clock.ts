// Shared with the heartbeat's clock-offset exchange, so both use the same timestamps.
export { epochMs, type EpochClock } from '../../net/epoch-clock.js';

/** Monotonic milliseconds for intervals and deadlines (never for timestamps on the wire). */
export { monotonicMs as monoMs } from '../../monotonic-clock.js';

/** Resolves after ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
