// How complete a stored series is over a window: the figures issue 11's outage tests assert and
// record (samples expected / found, worst gap). Pure: timestamps in, report out.

export interface SampleWindow {
  fromMs: number;
  toMs: number;
  /** The agent's collection interval. */
  intervalMs: number;
}

export interface GapReport extends SampleWindow {
  /**
   * The window over the interval, rounded: what a steady series has in it, give or take one. An agent's
   * own stamps drift past its interval (each round starts when the last one ended), so this is a
   * figure to report, not a bound to assert; worstGapMs is what shows a hole.
   */
  expected: number;
  /** Distinct timestamps in [fromMs, toMs]. */
  found: number;
  /** Samples in the window stored again at a timestamp already seen (at-least-once delivery). */
  duplicates: number;
  /** The longest stretch of the window without a sample, the window's edges included. */
  worstGapMs: number;
  worstGapFromMs: number;
  worstGapToMs: number;
}

/** Complete `report` for the timestamps (any order, duplicates allowed) of one series. */
export function gapReport(timestampsMs: readonly number[], window: SampleWindow): GapReport {
  const { fromMs, toMs, intervalMs } = window;
  if (!(toMs >= fromMs)) throw new Error(`window ends (${toMs}) before it starts (${fromMs})`);
  if (!(intervalMs > 0)) throw new Error(`interval must be positive, got ${intervalMs}`);
  const inWindow = timestampsMs.filter((t) => t >= fromMs && t <= toMs);
  const distinct = [...new Set(inWindow)].sort((a, b) => a - b);
  // The edges count: a series that stops 10 s before the window ends has a 10 s gap.
  const points = [fromMs, ...distinct, toMs];
  let worst = { ms: -1, from: fromMs, to: toMs };
  for (let i = 1; i < points.length; i++) {
    const ms = points[i]! - points[i - 1]!;
    if (ms > worst.ms) worst = { ms, from: points[i - 1]!, to: points[i]! };
  }
  return {
    fromMs,
    toMs,
    intervalMs,
    expected: Math.round((toMs - fromMs) / intervalMs),
    found: distinct.length,
    duplicates: inWindow.length - distinct.length,
    worstGapMs: worst.ms,
    worstGapFromMs: worst.from,
    worstGapToMs: worst.to,
  };
}

/** One line for a test's failure message or the bench results file. */
export function describeGaps(report: GapReport): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  return (
    `window ${iso(report.fromMs)}..${iso(report.toMs)} (${((report.toMs - report.fromMs) / 1000).toFixed(1)} s, interval ${report.intervalMs} ms): ` +
    `expected ~${report.expected}, found ${report.found}, duplicates ${report.duplicates}, ` +
    `worst gap ${report.worstGapMs} ms (${iso(report.worstGapFromMs)}..${iso(report.worstGapToMs)})`
  );
}
