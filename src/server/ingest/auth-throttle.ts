import type { Logger } from '../../log.js';

const WINDOW_MS = 60_000;
/** Sources remembered at most; past it, finished windows are dropped first, then the oldest. */
const MAX_SOURCES = 10_000;

interface SourceWindow {
  startMs: number;
  failures: number;
  /** Failures of the previous window that were not logged one by one. */
  previous: number;
}

/**
 * Failed authentications per source and minute. A source over the limit is refused at
 * connect until its minute is over, and each source is logged at most once a minute, so a
 * password-guessing peer can neither try thousands of tokens nor flood the log.
 */
export class AuthThrottle {
  private readonly sources = new Map<string, SourceWindow>();

  constructor(
    private readonly maxPerMinute: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while `source` may not try again. */
  limited(source: string): boolean {
    const window = this.current(source, false);
    return window !== undefined && window.failures >= this.maxPerMinute;
  }

  /** Records a failure; logs the first of each source's minute with the count of the last one. */
  failed(source: string, reason: string): void {
    const window = this.current(source, true)!;
    window.failures++;
    if (window.failures === 1) {
      this.log.warn('authentication failed', {
        source,
        reason,
        failures_previous_minute: window.previous,
        note: `logged once a minute per source; after ${this.maxPerMinute} failures in a minute the source is refused with FP_AUTH_RATE_LIMITED`,
      });
    }
  }

  private current(source: string, create: boolean): SourceWindow | undefined {
    const now = this.now();
    let window = this.sources.get(source);
    if (window && now - window.startMs >= WINDOW_MS) {
      const idle = now - window.startMs >= 2 * WINDOW_MS;
      window = { startMs: now, failures: 0, previous: idle ? 0 : window.failures };
      if (!create && window.previous === 0) {
        this.sources.delete(source);
        return undefined;
      }
      this.sources.set(source, window);
    }
    if (!window && create) {
      if (this.sources.size >= MAX_SOURCES) this.prune(now);
      window = { startMs: now, failures: 0, previous: 0 };
      this.sources.set(source, window);
    }
    return window;
  }

  private prune(now: number): void {
    for (const [source, window] of this.sources) if (now - window.startMs >= WINDOW_MS) this.sources.delete(source);
    // Still full: forget the oldest (Map order is insertion order).
    for (const source of this.sources.keys()) {
      if (this.sources.size < MAX_SOURCES) break;
      this.sources.delete(source);
    }
  }
}
