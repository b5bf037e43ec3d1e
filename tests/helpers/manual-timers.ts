import type { TimerHandle, Timers } from '../../src/net/timers.js';

/**
 * A clock and timers the test moves by hand (the shape of tests/net/heartbeat.test.ts's):
 * advance() fires every timer that falls due, in time order, with now() at its due time; an
 * interval as often as it falls due.
 */
export class ManualTimers implements Timers {
  private current: number;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now = (): number => this.current;

  setTimeout = (fn: () => void, delayMs: number): TimerHandle => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, delayMs), fn });
    this.changed();
    return { cancel: () => this.timers.delete(id) && this.changed() };
  };

  setInterval = (fn: () => void, ms: number): TimerHandle => {
    let current: TimerHandle;
    const arm = (): void => {
      current = this.setTimeout(() => {
        arm();
        fn();
      }, Math.max(1, ms));
    };
    arm();
    return { cancel: () => current.cancel() };
  };

  clearTimeout = (handle: unknown): void => (handle as TimerHandle | undefined)?.cancel();
  clearInterval = (handle: unknown): void => (handle as TimerHandle | undefined)?.cancel();

  /** Moves time forward by ms, firing what falls due on the way (timers armed meanwhile included). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
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
    return this.timers.size;
  }

  /** Due times of the armed timers, earliest first. */
  dueTimes(): number[] {
    return [...this.timers.values()].map((p) => p.at).sort((a, b) => a - b);
  }

  /** Called whenever a timer is set or cancelled (FakeTimers wakes its waiters). */
  protected changed(): void {}
}
