import { setLongTimeout, type LongTimeout } from './long-timeout.js';

/** Clock and one-shot timers, injectable so tests drive time instead of sleeping (as net/heartbeat.ts). */
export interface Timers {
  now(): number;
  /** Calls fn once after delayMs, however long (past setTimeout's 24.8 days); never keeps the process alive. */
  setTimeout(fn: () => void, delayMs: number): LongTimeout;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: setLongTimeout,
};
