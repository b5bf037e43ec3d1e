/** Epoch milliseconds with sub-millisecond precision. */
export type EpochClock = () => number;

// performance.now() is monotonic and fine-grained but drifts from the wall clock when NTP
// slews or steps it; Date.now() follows the wall clock but only to the millisecond. The
// bridge estimates offsets from Date.now() (heartbeat pongs), so stay within 1 ms of it
// and re-anchor only when the two disagree by more (slew takes seconds to drift that far).
let correctionMs = performance.timeOrigin;

export const epochMs: EpochClock = () => {
  const monoMs = performance.now();
  const wallMs = Date.now();
  const preciseMs = monoMs + correctionMs;
  if (Math.abs(preciseMs - (wallMs + 0.5)) <= 1) return preciseMs;
  correctionMs = wallMs + 0.5 - monoMs;
  return wallMs + 0.5;
};

/** Monotonic milliseconds for intervals and deadlines (never for timestamps on the wire). */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves after ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
