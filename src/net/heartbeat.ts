import { realTimers, type Timers } from './timers.js';

/** The part of the clock and timers a heartbeat needs (see ./timers.ts). */
export type HeartbeatTimers = Pick<Timers, 'now' | 'setInterval' | 'clearInterval'>;

export interface HeartbeatOptions {
  intervalMs: number;
  /** Silence longer than this means the link is dead (half-open TCP is otherwise invisible). */
  timeoutMs: number;
  sendPing(): void;
  onTimeout(silentMs: number): void;
  /**
   * Ping only after a whole interval in which we sent nothing (report sends with sent()): any
   * frame already shows the peer, and NAT state on the way, that the link is alive.
   */
  pingOnlyWhenIdle?: boolean;
  /**
   * With pingOnlyWhenIdle: ping anyway once this many intervals passed since the last ping,
   * so round trips (clock offset) keep being measured on a busy link. Default: never.
   */
  pingAtLeastEvery?: number;
  timers?: HeartbeatTimers;
}

/**
 * Sends a ping every interval (or, with pingOnlyWhenIdle, after an interval without sending)
 * and declares the peer dead after timeoutMs without hearing anything from it. Any received
 * frame counts as a sign of life.
 */
export class Heartbeat {
  private handle: unknown;
  private lastHeard: number;
  private lastSent = -Infinity;
  /** Ticks since the last ping. */
  private ticksWithoutPing = 0;
  private readonly timers: HeartbeatTimers;

  constructor(private readonly options: HeartbeatOptions) {
    this.timers = options.timers ?? realTimers;
    this.lastHeard = this.timers.now();
  }

  start(): void {
    this.stop();
    this.lastHeard = this.timers.now();
    this.handle = this.timers.setInterval(() => this.tick(), this.options.intervalMs);
  }

  received(): void {
    this.lastHeard = this.timers.now();
  }

  /** Something was sent to the peer. */
  sent(): void {
    this.lastSent = this.timers.now();
  }

  stop(): void {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  private tick(): void {
    const silentMs = this.timers.now() - this.lastHeard;
    if (silentMs > this.options.timeoutMs) {
      this.stop();
      this.options.onTimeout(silentMs);
      return;
    }
    this.ticksWithoutPing++;
    const busy = this.options.pingOnlyWhenIdle && this.timers.now() - this.lastSent < this.options.intervalMs;
    if (busy && this.ticksWithoutPing < (this.options.pingAtLeastEvery ?? Infinity)) return;
    this.ticksWithoutPing = 0;
    this.options.sendPing();
  }
}
