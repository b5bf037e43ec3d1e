export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  initialMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential ceiling, capped, with
 * full jitter (a uniform draw below the ceiling) so a fleet that lost its bridge at the
 * same moment does not reconnect in lockstep. Pure: pass `random` to make it repeatable.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
