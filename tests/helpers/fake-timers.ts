import { ManualTimers } from './manual-timers.js';

/**
 * ManualTimers for code that schedules from real I/O (BridgeConnection's reconnects): nothing
 * fires until advance(), then everything that falls due fires in order, and waitUntil() wakes
 * whenever a timer is set or cancelled.
 */
export class FakeTimers extends ManualTimers {
  private waiters: (() => void)[] = [];

  /** How many timers are pending. */
  get pending(): number {
    return this.armed;
  }

  /** Delays from now of the pending timers, soonest first. */
  scheduled(): number[] {
    return this.dueTimes().map((at) => at - this.now());
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

  protected override changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
