/** One NTP-style exchange: the peer's clock minus ours, and the round trip it was measured over. */
export interface ClockSample {
  offsetMs: number;
  /** Network round trip without the peer's turnaround; the offset is off by at most half of it. */
  delayMs: number;
}

/**
 * NTP's clock filter (RFC 5905 section 10, simplified): of the last `size` ping/pong exchanges,
 * trust the one with the smallest round-trip delay. Queueing only ever adds delay, and it is
 * what makes the two directions unequal, so the quickest exchange is the least skewed one.
 */
export class ClockFilter {
  private readonly samples: ClockSample[] = [];

  constructor(private readonly size = 8) {}

  /**
   * Adds an exchange: t0 ping sent and t3 pong received (our clock), t1 ping received and t2
   * pong sent (the peer's clock), all epoch ms. Returns false, keeping nothing, for an
   * exchange that cannot be real (non-finite times, t2 before t1, a negative round trip).
   */
  add(t0: number, t1: number, t2: number, t3: number): boolean {
    if (![t0, t1, t2, t3].every(Number.isFinite) || t2 < t1 || t3 < t0) return false;
    const delayMs = t3 - t0 - (t2 - t1);
    // Sub-ms clocks of two processes may disagree on a short interval by a hair; more is a lie.
    if (delayMs < -1) return false;
    this.samples.push({ offsetMs: (t1 - t0 + (t2 - t3)) / 2, delayMs: Math.max(0, delayMs) });
    if (this.samples.length > this.size) this.samples.shift();
    return true;
  }

  /** The lowest-delay sample of the window, or undefined before the first exchange. */
  best(): ClockSample | undefined {
    let best: ClockSample | undefined;
    for (const s of this.samples) if (!best || s.delayMs < best.delayMs) best = s;
    return best;
  }
}
