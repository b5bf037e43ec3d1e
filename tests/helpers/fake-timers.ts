import type { Timers } from '../../src/net/timers.js';
import { ManualTimers } from './manual-timers.js';

type Handle = { cancel(): void };

/**
 * src/net/timers.ts's Timers (one-shots and intervals, as BridgeConnection and Heartbeat use
 * them) on a ManualTimers clock the test moves: nothing fires until advance(), then everything
 * that falls due fires in order, an interval as often as it falls due.
 */
export class FakeTimers implements Timers {
  private readonly clock: ManualTimers;
  private waiters: (() => void)[] = [];

  constructor(startMs?: number) {
    this.clock = new ManualTimers(startMs);
  }

  now = (): number => this.clock.now();

  setTimeout = (fn: () => void, ms: number): unknown => this.changed(this.clock.setTimeout(fn, ms));

  setInterval = (fn: () => void, ms: number): unknown => {
    let current: Handle;
    const arm = () => {
      current = this.clock.setTimeout(() => {
        arm();
        fn();
      }, Math.max(1, ms));
    };
    arm();
    return this.changed({ cancel: () => current.cancel() });
  };

  clearTimeout = (handle: unknown): void => this.cancel(handle);
  clearInterval = (handle: unknown): void => this.cancel(handle);

  /** How many timers are pending. */
  get pending(): number {
    return this.clock.armed;
  }

  /** Delays from now of the pending timers, soonest first. */
  scheduled(): number[] {
    return this.clock.dueTimes().map((at) => at - this.clock.now());
  }

  /** Moves the clock forward by ms, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.clock.advance(ms);
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

  private cancel(handle: unknown): void {
    if (handle === undefined) return;
    this.changed(handle as Handle).cancel();
  }

  private changed<T>(value: T): T {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return value;
  }
}
