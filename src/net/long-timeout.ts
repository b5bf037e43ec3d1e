/** setTimeout fires at once for delays over 2^31-1 ms (~24.8 days); this chains shorter ones. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Calls fn after delayMs, however long; never keeps the process alive (unref). */
export function setLongTimeout(fn: () => void, delayMs: number): { cancel(): void } {
  let handle: NodeJS.Timeout;
  const arm = (remainingMs: number) => {
    const step = Math.min(Math.max(remainingMs, 0), MAX_DELAY_MS);
    handle = setTimeout(() => (remainingMs > MAX_DELAY_MS ? arm(remainingMs - MAX_DELAY_MS) : fn()), step).unref();
  };
  arm(delayMs);
  return { cancel: () => clearTimeout(handle) };
}
