import type { Logger } from '../../log.js';
import type { Outbox, OutboxStats } from './outbox.js';

const droppedTotal = (s: OutboxStats): number => Object.values(s.dropped).reduce((a, b) => a + b, 0);

/**
 * The outbox in the logs, one line per outage rather than one per batch: what waited when
 * the link came back (on the connected line), and one line once that backlog is delivered.
 */
export class BacklogReport {
  private droppedAtLoss = 0;
  /** The backlog found at the last reconnect: every batch up to `lastSeq`. */
  private replay: { sinceMs: number; lastSeq: number; batches: number; replayed: number; dropped: number } | undefined;

  constructor(private readonly log: Logger) {}

  lost(outbox: Outbox): void {
    this.droppedAtLoss = droppedTotal(outbox.stats());
  }

  /** Fields for the (re)connected line; starts watching the backlog drain. */
  connected(outbox: Outbox, nowMs: number): Record<string, number> {
    const s = outbox.stats();
    const dropped = droppedTotal(s);
    this.replay = s.batches > 1 ? { sinceMs: nowMs, lastSeq: outbox.newestSeq, batches: s.batches, replayed: s.replayed, dropped } : undefined;
    return {
      outbox_batches: s.batches,
      outbox_bytes: s.bytes,
      outbox_oldest_age_s: s.oldestTimestampMs === undefined ? 0 : Math.round((nowMs - s.oldestTimestampMs) / 1000),
      outbox_dropped_while_away: dropped - this.droppedAtLoss,
    };
  }

  /** After each ack: says once that every batch found at the reconnect is delivered (or dropped). */
  progress(outbox: Outbox, nowMs: number): void {
    if (!this.replay || outbox.oldestSeq <= this.replay.lastSeq) return;
    const s = outbox.stats();
    this.log.info('outbox backlog delivered', {
      batches_at_reconnect: this.replay.batches,
      replayed: s.replayed - this.replay.replayed,
      dropped: droppedTotal(s) - this.replay.dropped,
      took_ms: nowMs - this.replay.sinceMs,
    });
    this.replay = undefined;
  }
}
