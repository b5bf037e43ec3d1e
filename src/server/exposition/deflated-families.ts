import { promisify } from 'node:util';
import { constants, crc32, deflateRaw as deflateRawCallback, deflateRawSync } from 'node:zlib';
import type { CatalogEntry, FamilyCatalog, Piece } from '../store/family-catalog.js';
import type { ShardPlanner } from '../store/shard-planner.js';
import type { DeflatedPiece } from './gzip-member.js';
import { forEachPiece } from './render-families.js';
import { familyHeader } from '../text-format/format.js';

const deflateRaw = promisify(deflateRawCallback);

/** Compressions in flight at once: enough for every core, without holding every piece's bytes at once. */
const MAX_IN_FLIGHT = 4;
/** Of those, at most this many for compressing ahead, so a scrape's own pieces always find room. */
const MAX_IN_FLIGHT_AHEAD = 2;

/**
 * Below this size a piece is compressed at once on the main thread: an async zlib call costs
 * the event loop more (stream set-up and callbacks, ~0.15 ms here) than compressing 64 KiB.
 */
const SYNC_BELOW_BYTES = 64 * 1024;
const OPTIONS = { level: constants.Z_BEST_SPEED, finishFlush: constants.Z_SYNC_FLUSH };

/** Compresses one text into a piece that can be spliced (see gzip-member.ts); large ones on libuv's thread pool. */
export async function deflateText(text: string): Promise<DeflatedPiece> {
  const bytes = Buffer.from(text, 'utf8');
  const output = bytes.length < SYNC_BELOW_BYTES ? deflateRawSync(bytes, OPTIONS) : await deflateRaw(bytes, OPTIONS);
  // zlib's output can be a view of a larger chunk; a cached piece keeps only its own bytes.
  const deflated = Buffer.allocUnsafeSlow(output.length);
  output.copy(deflated);
  return { deflated, crc: crc32(bytes), length: bytes.length };
}

interface Cached {
  version: number;
  headerVersion: number;
  withHeader: boolean;
  result: Promise<DeflatedPiece>;
  job: Job;
}

/** A compression waiting for a slot; a scrape that needs it moves it to the front. */
interface Job {
  run(): void;
  started: boolean;
  urgent: boolean;
}

/**
 * The agent families as compressed pieces, cached per piece: a scrape compresses only the
 * pieces whose lines changed since they were last compressed, and concurrent scrapes share
 * the work. Between scrapes, precompress() compresses the pieces of shards whose push window
 * has passed (see store/shard-planner.ts): their agents have all pushed this interval, so the
 * piece stays valid until the window comes round again. A scrape then finds only the shards
 * being pushed right now left to compress, whatever the fleet's size.
 */
export class DeflatedFamilies {
  private readonly cache = new WeakMap<Piece, Cached>();
  private inFlight = 0;
  private readonly urgent: Job[] = [];
  private readonly ahead: Job[] = [];
  private pumpScheduled = false;
  /** Pieces compressed so far and pieces served from the cache, for tests and tuning. */
  compressed = 0;
  reused = 0;

  constructor(
    private readonly catalog: FamilyCatalog,
    private readonly shards: ShardPlanner,
  ) {}

  /**
   * Compresses changed pieces of shards outside their push window; returns how many it started.
   * @param nextScrapeMs when the next scrape is expected: a piece whose shard pushes again before
   *   then (its interval is shorter than the wait) would be compressed for nothing, and is left
   */
  precompress(nowMs: number, nextScrapeMs?: number): number {
    let started = 0;
    forEachPiece(this.catalog, (entry, piece, withHeader) => {
      if (this.isFresh(entry, piece, withHeader)) return;
      const shard = this.shards.get(piece.shard);
      if (shard && this.shards.isActive(shard, nowMs)) return;
      if (shard && nextScrapeMs !== undefined && nextScrapeMs - nowMs > shard.intervalMs) return;
      void this.piece(entry, piece, withHeader, false).catch(() => undefined);
      started++;
    });
    return started;
  }

  /** Every family's pieces in exposition order. */
  pieces(): Promise<DeflatedPiece[]> {
    const results: Promise<DeflatedPiece>[] = [];
    forEachPiece(this.catalog, (entry, piece, withHeader) => results.push(this.piece(entry, piece, withHeader, true)));
    return Promise.all(results);
  }

  private isFresh(entry: CatalogEntry, piece: Piece, withHeader: boolean): boolean {
    const cached = this.cache.get(piece);
    return cached !== undefined && cached.version === piece.version && cached.withHeader === withHeader && (!withHeader || cached.headerVersion === entry.headerVersion);
  }

  private piece(entry: CatalogEntry, piece: Piece, withHeader: boolean, urgent: boolean): Promise<DeflatedPiece> {
    if (this.isFresh(entry, piece, withHeader)) {
      const cached = this.cache.get(piece)!;
      if (urgent) this.promote(cached.job);
      this.reused++;
      return cached.result;
    }
    // Snapshot the texts now (references only); join and compress when a slot is free.
    const texts: string[] = withHeader ? [familyHeader(entry.name, entry.type, entry.help)] : [];
    for (const member of piece.members.values()) texts.push(member.text);
    const { result, job } = this.schedule(() => deflateText(texts.join('')), urgent);
    const entryNow: Cached = { version: piece.version, headerVersion: entry.headerVersion, withHeader, result, job };
    this.cache.set(piece, entryNow);
    this.compressed++;
    result.catch(() => {
      if (this.cache.get(piece) === entryNow) this.cache.delete(piece);
    });
    return result;
  }

  private schedule(work: () => Promise<DeflatedPiece>, urgent: boolean): { result: Promise<DeflatedPiece>; job: Job } {
    let job!: Job;
    const result = new Promise<DeflatedPiece>((resolve, reject) => {
      job = {
        started: false,
        urgent,
        run: () => {
          job.started = true;
          this.inFlight++;
          work()
            .then(resolve, reject)
            .finally(() => {
              this.inFlight--;
              this.pump();
            });
        },
      };
    });
    (urgent ? this.urgent : this.ahead).push(job);
    this.pump();
    return { result, job };
  }

  private promote(job: Job): void {
    if (job.started || job.urgent) return;
    job.urgent = true;
    this.ahead.splice(this.ahead.indexOf(job), 1);
    this.urgent.push(job);
    this.pump();
  }

  /**
   * Starts waiting jobs while slots are free. Work ahead starts from setImmediate, one job
   * at a time, so sockets are served between compressions of a long backlog.
   */
  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.urgent.length > 0) this.urgent.shift()!.run();
    if (this.ahead.length === 0 || this.inFlight >= MAX_IN_FLIGHT_AHEAD || this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      if (this.inFlight < MAX_IN_FLIGHT_AHEAD && this.ahead.length > 0) this.ahead.shift()!.run();
      this.pump();
    });
  }
}
