import type { Logger } from '../../log.js';
import type { MetricFamily } from '../../protocol/messages.js';
import { lineHead, metricsLine } from './batch-line.js';
import { compressLine, decompressLine } from './compression.js';
import type { DiskStore } from './disk-store.js';

/** Why a batch left the outbox without an ack (the `reason` of ..._dropped_batches_total). */
export const DROP_REASONS = ['full', 'too_old', 'corrupt', 'refused', 'too_large'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

const DROP_EXPLAINED: Record<DropReason, string> = {
  full: 'the outbox is full (FLEETPULSE_BUFFER_MAX_BYTES): the oldest batches are dropped first',
  too_old: 'batches older than FLEETPULSE_BUFFER_MAX_AGE are dropped',
  corrupt: 'a stored batch could not be read back',
  refused: 'the bridge refused a batch as a whole (WHOLE_BATCH_REFUSALS); sending it again cannot help',
  too_large: 'a batch is longer than the bridge accepts (its max_line_bytes)',
};

/** A sent batch neither acknowledged nor refused this long is sent again (the bridge may have lost it). */
export const IN_FLIGHT_TIMEOUT_MS = 5 * 60_000;

export interface OutboxOptions {
  /** Bytes all waiting batches may take together (compressed, in memory or on disk). */
  maxBytes: number;
  /** A batch older than this (by its collection time) is dropped. */
  maxAgeMs: number;
  /** FLEETPULSE_BUFFER_DIR's store; undefined: in memory only. */
  disk?: DiskStore | undefined;
  log: Logger;
}

/** One batch waiting for its ack. */
export interface OutboxEntry {
  readonly seq: number;
  readonly timestampMs: number;
  /** The line as sent, while the batch is fresh; compressed away when it has to wait. */
  line: string | undefined;
  /** The compressed line, in memory (no disk, or the disk failed). */
  packed: Buffer | undefined;
  /** Bytes it takes now (in memory or on disk). */
  bytes: number;
  /** Sent on the current connection, not yet acknowledged. */
  inFlight: boolean;
  sentAtMs: number;
  /** Not to be sent before this (FP_RETRY_LATER). */
  notBeforeMs: number;
  /** FP_RETRY_LATER answers so far, for the backoff. */
  retries: number;
}

export interface OutboxStats {
  batches: number;
  bytes: number;
  /** Collection time of the oldest waiting batch; undefined when empty. */
  oldestTimestampMs: number | undefined;
  dropped: Readonly<Record<DropReason, number>>;
  replayed: number;
}

/**
 * Every collected batch waits here until the bridge acknowledges it, bounded by bytes and
 * age (oldest dropped first, each drop counted). A batch stays as its wire line while it is
 * fresh, and is compressed (to memory, or to a file under FLEETPULSE_BUFFER_DIR) only if it
 * is still unacknowledged when the next batch is collected: a healthy link costs nothing
 * beyond the one serialisation. Sending order is the sender's business (outbox-sender.ts).
 */
export class Outbox {
  /** In seq order, which is collection order: the first is the oldest. */
  private readonly entries = new Map<number, OutboxEntry>();
  private nextSeq = 1;
  private heldBytes = 0;
  private flying = 0;
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  /** Drop reasons logged since the outbox was last empty: one line per outage, not per batch. */
  private readonly dropsSaid = new Set<DropReason>();
  private diskFailing = false;
  /** Batches sent again from the backlog (FLEETPULSE_BUFFER_REPLAY_RATE), re-sends included. */
  replayed = 0;

  constructor(private readonly options: OutboxOptions) {
    this.restore();
  }

  /** 'memory' or the directory. */
  get where(): string {
    return this.options.disk?.dir ?? 'memory';
  }

  get size(): number {
    return this.entries.size;
  }

  /** Seq of the newest batch taken (restored or collected); 0 before any. */
  get newestSeq(): number {
    return this.nextSeq - 1;
  }

  /** Seq of the oldest waiting batch; Infinity when none waits. */
  get oldestSeq(): number {
    const first = this.entries.values().next();
    return first.done ? Infinity : first.value.seq;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Sent and not yet acknowledged. */
  get inFlight(): number {
    return this.flying;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** Takes a new batch: the ones still waiting are compressed, and the limits applied. */
  add(families: MetricFamily[], timestampMs: number): OutboxEntry {
    for (const entry of this.entries.values()) if (entry.line !== undefined) this.pack(entry);
    for (const entry of this.entries.values()) {
      // A batch the bridge neither acknowledged nor refused for this long is sent again.
      if (entry.inFlight && timestampMs - entry.sentAtMs > IN_FLIGHT_TIMEOUT_MS) this.unsend(entry);
    }
    const seq = this.nextSeq++;
    const line = metricsLine(seq, timestampMs, families);
    const entry: OutboxEntry = { seq, timestampMs, line, packed: undefined, bytes: line.length, inFlight: false, sentAtMs: 0, notBeforeMs: 0, retries: 0 };
    this.entries.set(seq, entry);
    this.heldBytes += entry.bytes;
    this.enforceLimits(timestampMs);
    return entry;
  }

  /** The bridge has the batch (or has dropped it for good): forget it. */
  ack(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry) this.remove(entry);
  }

  /** FP_RETRY_LATER: keep the batch and send it again from `notBeforeMs`. */
  retryLater(seq: number, notBeforeMs: number): void {
    const entry = this.entries.get(seq);
    if (!entry) return;
    this.unsend(entry);
    entry.retries++;
    entry.notBeforeMs = notBeforeMs;
  }

  /** FP_RETRY_LATER answers for this batch so far (for the backoff). */
  retriesOf(seq: number): number {
    return this.entries.get(seq)?.retries ?? 0;
  }

  /** The bridge refused the batch as a whole (WHOLE_BATCH_REFUSALS): no ack will come; drop it. */
  refused(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry) this.drop(entry, 'refused');
  }

  /** The link is gone: whatever was in flight is unsent again. */
  disconnected(): void {
    for (const entry of this.entries.values()) this.unsend(entry);
  }

  /** The newest batch, if it may be sent now (it goes out at once, never behind the backlog). */
  freshToSend(nowMs: number): OutboxEntry | undefined {
    const newest = this.entries.get(this.nextSeq - 1);
    return newest && this.sendable(newest, nowMs) ? newest : undefined;
  }

  /** The oldest waiting batch other than the newest that may be sent now. */
  nextBacklog(nowMs: number): OutboxEntry | undefined {
    for (const entry of this.entries.values()) {
      if (entry.seq !== this.nextSeq - 1 && this.sendable(entry, nowMs)) return entry;
    }
    return undefined;
  }

  /** Unsent batches other than the newest (the backlog still to send). */
  get backlog(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (!entry.inFlight && entry.seq !== this.nextSeq - 1) n++;
    return n;
  }

  /** When the next held-back batch (FP_RETRY_LATER) may go; undefined: none is held back. */
  nextRetryMs(nowMs: number): number | undefined {
    let soonest: number | undefined;
    for (const entry of this.entries.values()) {
      if (!entry.inFlight && entry.notBeforeMs > nowMs) soonest = Math.min(soonest ?? Infinity, entry.notBeforeMs);
    }
    return soonest;
  }

  /** The batch's line for sending, or undefined when it could not be read back (dropped, counted). */
  lineOf(entry: OutboxEntry): string | undefined {
    if (entry.line !== undefined) return entry.line;
    try {
      const packed = entry.packed ?? this.options.disk!.get(entry.seq);
      const line = decompressLine(packed);
      if (!line.startsWith(lineHead(entry.seq)) || !line.endsWith('}\n')) throw new Error('the stored line is not this batch');
      return line;
    } catch (err) {
      this.options.log.warn('dropping a stored batch that cannot be read back', { seq: entry.seq, where: this.where, error: (err as Error).message });
      this.drop(entry, 'corrupt');
      return undefined;
    }
  }

  markSent(entry: OutboxEntry, nowMs: number, replay: boolean): void {
    entry.inFlight = true;
    entry.sentAtMs = nowMs;
    this.flying++;
    if (replay) this.replayed++;
  }

  drop(entry: OutboxEntry, reason: DropReason): void {
    if (!this.entries.has(entry.seq)) return;
    this.remove(entry);
    this.dropped[reason]++;
    if (this.dropsSaid.has(reason)) return;
    this.dropsSaid.add(reason);
    this.options.log.warn('outbox dropping batches', {
      reason,
      why: DROP_EXPLAINED[reason],
      max_bytes: this.options.maxBytes,
      max_age_s: this.options.maxAgeMs / 1000,
      note: 'said once until the outbox is empty again; every drop is counted in fleetpulse_agent_buffer_dropped_batches_total',
    });
  }

  stats(): OutboxStats {
    const first = this.entries.values().next();
    return { batches: this.entries.size, bytes: this.heldBytes, oldestTimestampMs: first.done ? undefined : first.value.timestampMs, dropped: { ...this.dropped }, replayed: this.replayed };
  }

  /** On stop: with a directory, everything still waiting is written there for the next run. */
  persist(): void {
    if (!this.options.disk) return;
    for (const entry of this.entries.values()) if (entry.line !== undefined || entry.packed !== undefined) this.pack(entry);
  }

  private sendable(entry: OutboxEntry, nowMs: number): boolean {
    return !entry.inFlight && entry.notBeforeMs <= nowMs;
  }

  private unsend(entry: OutboxEntry): void {
    if (!entry.inFlight) return;
    entry.inFlight = false;
    this.flying--;
  }

  /** Compresses a waiting batch into memory, or onto disk with FLEETPULSE_BUFFER_DIR. */
  private pack(entry: OutboxEntry): void {
    const packed = entry.packed ?? compressLine(entry.line!);
    let bytes = packed.length;
    let inMemory: Buffer | undefined = packed;
    const disk = this.options.disk;
    if (disk) {
      try {
        bytes = disk.put(entry.seq, entry.timestampMs, packed);
        inMemory = undefined;
        if (this.diskFailing) this.options.log.info('outbox directory writable again', { dir: disk.dir });
        this.diskFailing = false;
      } catch (err) {
        // Kept in memory (compressed) instead; tried again at the next collection.
        if (!this.diskFailing) this.options.log.warn('cannot write to the outbox directory; keeping batches in memory until it works again', { dir: disk.dir, error: (err as Error).message });
        this.diskFailing = true;
      }
    }
    this.heldBytes += bytes - entry.bytes;
    entry.bytes = bytes;
    entry.packed = inMemory;
    entry.line = undefined;
  }

  private remove(entry: OutboxEntry): void {
    this.entries.delete(entry.seq);
    this.heldBytes -= entry.bytes;
    if (entry.inFlight) this.flying--;
    if (entry.line === undefined && entry.packed === undefined) {
      try {
        this.options.disk?.remove(entry.seq);
      } catch (err) {
        this.options.log.warn('cannot remove a batch file from the outbox directory', { seq: entry.seq, error: (err as Error).message });
      }
    }
    if (this.entries.size === 0) this.dropsSaid.clear();
  }

  /** Oldest first: past the age limit, then over the byte limit (the newest batch always stays). */
  private enforceLimits(nowMs: number): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= 1 || nowMs - entry.timestampMs <= this.options.maxAgeMs) break;
      this.drop(entry, 'too_old');
    }
    for (const entry of this.entries.values()) {
      if (this.entries.size <= 1 || this.heldBytes <= this.options.maxBytes) break;
      this.drop(entry, 'full');
    }
  }

  private restore(): void {
    const disk = this.options.disk;
    if (!disk) return;
    const { batches, corrupt } = disk.restore();
    for (const b of batches) {
      this.entries.set(b.seq, { seq: b.seq, timestampMs: b.timestampMs, line: undefined, packed: undefined, bytes: b.bytes, inFlight: false, sentAtMs: 0, notBeforeMs: 0, retries: 0 });
      this.heldBytes += b.bytes;
      this.nextSeq = b.seq + 1; // seqs stay unique across restarts while old batches may still be sent
    }
    this.dropped.corrupt += corrupt.length;
    if (corrupt.length > 0) {
      this.options.log.warn('outbox directory had unreadable batch files; removed them', { dir: disk.dir, files: corrupt.length, first: `${corrupt[0]!.name}: ${corrupt[0]!.problem}` });
    }
    if (batches.length > 0) this.options.log.info('outbox restored batches from the previous run', { dir: disk.dir, batches: batches.length, bytes: this.heldBytes });
  }
}
