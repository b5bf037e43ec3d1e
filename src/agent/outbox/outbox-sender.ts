import type { Timers } from '../../net/timers.js';
import { exceedsBytes } from '../../protocol/names.js';
import { asReplay } from './batch-line.js';
import type { Outbox, OutboxEntry } from './outbox.js';

export interface ReplayPolicy {
  /** Backlog batches sent per second at most (FLEETPULSE_BUFFER_REPLAY_RATE). */
  perSecond: number;
  /** Batches sent and not yet acknowledged at most before the backlog waits (FLEETPULSE_BUFFER_MAX_IN_FLIGHT). */
  maxInFlight: number;
}

/** The connected link as the sender sees it. */
export interface OutboxLink {
  /** Connected, and the socket is not backed up. */
  writable(): boolean;
  write(line: string): void;
  /** The bridge's max_line_bytes (welcome). */
  maxLineBytes(): number;
}

/**
 * Decides what goes on the wire and when: the newest batch at once, whatever else waits;
 * the backlog oldest first, at most `perSecond`, while fewer than `maxInFlight` batches
 * await their ack and the socket keeps up. Called again on welcome, ack, drain and its timer.
 */
export class OutboxSender {
  private nextReplayAtMs = 0;
  private timer: unknown;

  constructor(
    private readonly outbox: Outbox,
    private readonly policy: ReplayPolicy,
    private readonly link: OutboxLink,
    private readonly timers: Timers,
  ) {}

  pump(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.link.writable()) return; // welcome or drain calls again
    const now = this.timers.now();
    const fresh = this.outbox.freshToSend(now);
    if (fresh) this.send(fresh, false, now);
    while (this.link.writable() && this.outbox.inFlight < this.policy.maxInFlight) {
      const entry = this.outbox.nextBacklog(now);
      if (!entry) {
        const retry = this.outbox.nextRetryMs(now);
        if (retry !== undefined) this.wakeAt(Math.max(retry, this.nextReplayAtMs), now);
        return;
      }
      if (now < this.nextReplayAtMs) return this.wakeAt(this.nextReplayAtMs, now);
      if (this.send(entry, true, now)) this.nextReplayAtMs = now + 1000 / this.policy.perSecond;
    }
    // Waiting for an ack (in flight at the limit) or for the socket to drain: both call pump().
  }

  /** The bridge asked to wait (FP_RETRY_LATER): no backlog before `untilMs`. */
  holdBacklogUntil(untilMs: number): void {
    this.nextReplayAtMs = Math.max(this.nextReplayAtMs, untilMs);
  }

  stop(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** False when the batch could not be sent (unreadable or too long: dropped and counted). */
  private send(entry: OutboxEntry, replay: boolean, nowMs: number): boolean {
    const line = this.outbox.lineOf(entry);
    if (line === undefined) return false;
    const out = replay ? asReplay(line) : line;
    if (exceedsBytes(out, this.link.maxLineBytes())) {
      this.outbox.drop(entry, 'too_large');
      return false;
    }
    this.link.write(out);
    this.outbox.markSent(entry, nowMs, replay);
    return true;
  }

  private wakeAt(atMs: number, nowMs: number): void {
    this.timer = this.timers.setTimeout(() => this.pump(), Math.max(1, atMs - nowMs));
  }
}
