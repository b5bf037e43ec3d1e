import type { Timers } from '../../src/net/timers.js';

interface Entry {
  fn: () => void;
  due: number;
  /** Set for an interval: its period. */
  every: number | undefined;
}

/**
 * A clock the test moves by hand (src/net/timers.ts): nothing fires until advance(), and then
 * everything that falls due fires in order, intervals as often as they fall due.
 */
export class FakeTimers implements Timers {
  private clock: number;
  private nextId = 1;
  private readonly entries = new Map<number, Entry>();
  private waiters: (() => void)[] = [];

  constructor(startMs = 0) {
    this.clock = startMs;
  }

  now = (): number => this.clock;

  setTimeout = (fn: () => void, ms: number): unknown => this.add(fn, ms, undefined);
  setInterval = (fn: () => void, ms: number): unknown => this.add(fn, ms, ms);
  clearTimeout = (handle: unknown): void => this.remove(handle);
  clearInterval = (handle: unknown): void => this.remove(handle);

  /** How many timers are pending. */
  get pending(): number {
    return this.entries.size;
  }

  /** Delays from now of the pending timers, soonest first. */
  scheduled(): number[] {
    return [...this.entries.values()].map((e) => e.due - this.clock).sort((a, b) => a - b);
  }

  /** Moves the clock forward by ms, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.clock + ms;
    for (;;) {
      let next: [number, Entry] | undefined;
      for (const item of this.entries) if (item[1].due <= end && (!next || item[1].due < next[1].due)) next = item;
      if (!next) break;
      const [id, entry] = next;
      this.clock = entry.due;
      if (entry.every === undefined) this.entries.delete(id);
      else entry.due += Math.max(1, entry.every);
      entry.fn();
    }
    this.clock = end;
  }

  /**
   * Resolves once `check` holds, testing it each time a timer is set or cleared: for what real
   * I/O schedules (a reconnect after a socket closed). A generous real-time deadline turns a
   * hang into a failure; it is not a timing assertion.
   */
  async waitUntil(check: () => boolean, what = 'condition', deadlineMs = 20_000): Promise<void> {
    const giveUp = Date.now() + deadlineMs;
    while (!check()) {
      if (Date.now() > giveUp) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private add(fn: () => void, ms: number, every: number | undefined): number {
    const id = this.nextId++;
    this.entries.set(id, { fn, due: this.clock + Math.max(0, ms), every });
    this.wake();
    return id;
  }

  private remove(handle: unknown): void {
    if (this.entries.delete(handle as number)) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
