import type { CycleResult, Fleet } from './fleet.js';

export interface CycleStart {
  at: number;
  /** CPU seconds of the measured process at that moment. */
  cpu: number;
}

/**
 * Runs the fleet's cycles one after another at a fixed period (never overlapping: a cycle that
 * overruns delays the next one), reading the target's CPU at every cycle start, until stopped
 * or until a cycle overruns maxCycleMs.
 */
export class CycleDriver {
  readonly starts: CycleStart[] = [];
  readonly cycles: CycleResult[] = [];
  /** Set when a cycle had to be cut short. */
  overran: CycleResult | undefined;
  private stopped = false;
  private readonly done: Promise<void>;
  private waiters: (() => void)[] = [];
  private cancelSleep: (() => void) | undefined;

  /**
   * @param cpuNow the measured process's CPU seconds so far (bench/measure/proc-stats.ts), read at
   *   every cycle start: the driver paces the fleet, the caller says what is measured.
   */
  constructor(
    private readonly fleet: Fleet,
    private readonly cpuNow: () => number,
    readonly periodMs: number,
    private readonly maxCycleMs: number,
    private readonly spreadShare = 0.9,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    let startAt = Date.now() + 50;
    while (!this.stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, startAt - Date.now()));
        this.cancelSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.stopped) break;
      this.starts.push({ at: Date.now(), cpu: this.cpuNow() });
      this.notify();
      const cycle = await this.fleet.runCycle(Date.now(), this.periodMs * this.spreadShare, this.maxCycleMs);
      this.cycles.push(cycle);
      if (cycle.aborted) this.overran = cycle;
      this.notify();
      if (cycle.aborted) break;
      startAt = Math.max(startAt + this.periodMs, Date.now());
    }
    this.stopped = true;
    this.notify();
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Resolves once `count` cycles have started, or the driver ended (check `running`). */
  waitForStarts(count: number): Promise<void> {
    return this.until(() => this.starts.length >= count);
  }

  /** Resolves once `count` cycles have finished, or the driver ended. */
  waitForCycles(count: number): Promise<void> {
    return this.until(() => this.cycles.length >= count);
  }

  /** Stops after the current cycle. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelSleep?.();
    await this.done;
  }

  private async until(condition: () => boolean): Promise<void> {
    while (!condition() && !this.stopped) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
