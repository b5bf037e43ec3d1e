/**
 * The clock and timers a component runs on, injected so that tests drive time instead of
 * sleeping (as MQTT.js's KeepaliveManager takes a timer object). Handles are opaque.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/**
 * Node's timers. A pending one-shot (a reconnect) keeps the process alive; a periodic one
 * (a heartbeat) never holds it open on its own.
 */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout | undefined),
};
