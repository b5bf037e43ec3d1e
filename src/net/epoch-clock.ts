import { monotonicMs } from '../monotonic-clock.js';

/** Epoch milliseconds with sub-millisecond precision. */
export type EpochClock = () => number;

// monotonicMs() (performance.now() without loading perf_hooks) is monotonic and fine-grained but
// drifts from the wall clock when NTP slews or steps it; Date.now() follows the wall clock but
// only to the millisecond. Clock
// offsets between processes are estimated from these timestamps (heartbeat pongs, probes),
// so stay within 1 ms of Date.now() and re-anchor only when the two disagree by more (slew
// takes seconds to drift that far).
let correctionMs = Date.now() + 0.5 - monotonicMs();

export const epochMs: EpochClock = () => {
  const monoMs = monotonicMs();
  const wallMs = Date.now();
  const preciseMs = monoMs + correctionMs;
  if (Math.abs(preciseMs - (wallMs + 0.5)) <= 1) return preciseMs;
  correctionMs = wallMs + 0.5 - monoMs;
  return wallMs + 0.5;
};
