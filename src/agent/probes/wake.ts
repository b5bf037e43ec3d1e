import { monoMs } from './clock.js';

/**
 * Lets a probe's control flow sleep until either something arrived (notify) or a deadline
 * passed, without leaving timers behind. Every wait is bounded by its deadline.
 */
export class Waker {
  private wake: (() => void) | undefined;

  notify(): void {
    this.wake?.();
  }

  /** Resolves once done() is true or the monotonic deadline (ms) has passed. */
  async until(done: () => boolean, deadlineMs: number): Promise<void> {
    while (!done()) {
      const remainingMs = deadlineMs - monoMs();
      if (remainingMs <= 0) return;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(finish, remainingMs);
        this.wake = finish;
      });
    }
  }
}
