import type { Timers } from '../../src/server/util/timers.js';

/**
 * A clock and timers the test moves by hand (the shape of tests/net/heartbeat.test.ts's):
 * advance() fires every timer that falls due, in time order, with now() at its due time.
 */
export class ManualTimers implements Timers {
  private current: number;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now = (): number => this.current;

  setTimeout = (fn: () => void, delayMs: number): { cancel(): void } => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.current + Math.max(0, delayMs), fn });
    return { cancel: () => void this.pending.delete(id) };
  };

  /** Moves time forward by ms, firing what falls due on the way (timers armed meanwhile included). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.current = next[1].at;
      next[1].fn();
    }
    this.current = end;
  }

  /** Sets the clock without firing anything (for code that only reads the time). */
  set(ms: number): void {
    this.current = ms;
  }

  /** Timers armed and not yet fired or cancelled. */
  get armed(): number {
    return this.pending.size;
  }

  /** Due times of the armed timers, earliest first. */
  dueTimes(): number[] {
    return [...this.pending.values()].map((p) => p.at).sort((a, b) => a - b);
  }
}
