import { sleep } from '../fleet/cycle-driver.js';
import type { RunningVictoriaMetrics } from '../systems/victoria-metrics.js';

/** Every sample the simulated agents send is a node_* series (bench/fleet/workload.ts). */
export const FLEET_SAMPLES = 'sum(count_over_time({__name__=~"node_.+"}[6h]))';

export interface Delivery {
  /** Samples the relay acknowledged to the agents. */
  expected: number;
  /** Samples of the fleet the receiver holds (a count query over all of them). */
  found: number;
  /** When `found` was counted: expected reached, or no more rows came for the settle time. */
  settledAt: number;
}

/** Rows the receiver took in so far, over all protocols. */
export async function rowsIn(receiver: RunningVictoriaMetrics): Promise<number> {
  return Object.values(await receiver.rowsInserted()).reduce((a, b) => a + b, 0);
}

/**
 * Waits until the receiver took in `expected` rows (a relay may still hold some in its queue),
 * or took none for settleMs, or boundMs passed; then counts the fleet's samples it holds, again
 * until the count reaches `expected` or settles (new series take a moment to become searchable).
 */
export async function awaitDelivery(receiver: RunningVictoriaMetrics, expected: number, options: { settleMs: number; boundMs: number }): Promise<Delivery> {
  const deadline = Date.now() + options.boundMs;
  await untilSettled(() => rowsIn(receiver), expected, options.settleMs, deadline);
  const settledAt = Date.now();
  const found = await untilSettled(() => receiver.scalar(FLEET_SAMPLES), expected, 10_000, deadline + 30_000);
  return { expected, found, settledAt };
}

/** Polls `read` until it reaches `target`, stays the same for settleMs, or the deadline passes; returns the last value. */
async function untilSettled(read: () => Promise<number>, target: number, settleMs: number, deadline: number): Promise<number> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const value = await read();
    if (value !== last) {
      last = value;
      lastChange = Date.now();
    }
    if (value >= target || Date.now() - lastChange > settleMs || Date.now() > deadline) return value;
    await sleep(500);
  }
}
