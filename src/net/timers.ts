import { setLongTimeout } from './long-timeout.js';

/** A pending timer; cancel() does nothing once it has fired or been cancelled. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The clock and timers a component runs on, injected so that tests drive time instead of
 * sleeping (as MQTT.js's KeepaliveManager takes a timer object). The one timer interface of the
 * agent and the bridge: clearTimeout(handle) is handle.cancel(), for code written like Node's.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: unknown): void;
}

const cancel = (handle: unknown): void => (handle as TimerHandle | undefined)?.cancel();

/**
 * Node's timers. A pending one-shot (a reconnect) keeps the process alive; a periodic one
 * (a heartbeat) never holds it open on its own.
 */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  clearTimeout: cancel,
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms).unref();
    return { cancel: () => clearInterval(handle) };
  },
  clearInterval: cancel,
};

/**
 * For bookkeeping (expiry, forgetting, schedules, summaries): one-shots of any delay, past
 * setTimeout's 24.8 days, that never hold the process open.
 */
export const backgroundTimers: Timers = { ...realTimers, setTimeout: setLongTimeout };
