/**
 * Push windows per agent interval. Agents push on a fixed schedule, each at its own phase;
 * agents whose batches arrive in the same window of their interval share a shard, so a
 * shard's lines change only during its window and stay put the rest of the interval.
 */
export const WINDOWS_PER_INTERVAL = 8;
/**
 * At most this many agents per shard, so a crowded window still gives pieces of a sane size.
 * Fewer, larger pieces compress better and cost fewer zlib calls (each ~0.1 ms of overhead).
 */
export const AGENTS_PER_SHARD = 1024;
/** Batches in a row outside its shard's window before an agent moves to a better shard. */
const MOVE_AFTER_MISSES = 3;

export interface Shard {
  readonly id: number;
  readonly intervalMs: number;
  /** Which window of the interval its agents push in, 0 .. WINDOWS_PER_INTERVAL-1. */
  readonly window: number;
  members: number;
}

/**
 * Groups agents into shards by push interval and phase. The catalog keeps each family's lines
 * in one piece per shard, and the exposition compresses a piece once its window has passed,
 * so by scrape time most pieces are already compressed (see exposition/deflated-families.ts).
 */
export class ShardPlanner {
  private readonly shards = new Map<number, Shard>();
  /** `${intervalMs}/${window}` -> that window's shards that still have room. */
  private readonly open = new Map<string, Shard[]>();
  private readonly freeIds: number[] = [];
  private nextId = 0;

  get(id: number): Shard | undefined {
    return this.shards.get(id);
  }

  /** A shard for an agent pushing every intervalMs whose batch arrived at atMs. */
  join(intervalMs: number, atMs: number): Shard {
    const window = windowAt(intervalMs, atMs);
    const key = `${intervalMs}/${window}`;
    const room = this.open.get(key) ?? [];
    let shard = room[room.length - 1];
    if (!shard) {
      shard = { id: this.freeIds.pop() ?? this.nextId++, intervalMs, window, members: 0 };
      this.shards.set(shard.id, shard);
      room.push(shard);
      this.open.set(key, room);
    }
    shard.members++;
    if (shard.members >= AGENTS_PER_SHARD) room.pop();
    return shard;
  }

  leave(shard: Shard): void {
    const key = `${shard.intervalMs}/${shard.window}`;
    const room = this.open.get(key) ?? [];
    if (shard.members >= AGENTS_PER_SHARD) room.push(shard);
    shard.members--;
    if (shard.members === 0) {
      const at = room.indexOf(shard);
      if (at !== -1) room.splice(at, 1);
      if (room.length === 0) this.open.delete(key);
      this.shards.delete(shard.id);
      this.freeIds.push(shard.id);
    }
  }

  /**
   * Counts a batch arriving at atMs; returns true once the agent has pushed outside its
   * shard's window (and the ones next to it) several times in a row and should move.
   */
  misplaced(shard: Shard, atMs: number, misses: { count: number }): boolean {
    const distance = Math.abs(windowAt(shard.intervalMs, atMs) - shard.window);
    const near = Math.min(distance, WINDOWS_PER_INTERVAL - distance) <= 1;
    misses.count = near ? 0 : misses.count + 1;
    return misses.count >= MOVE_AFTER_MISSES;
  }

  /** True while the shard's agents are expected to push: its window plus a margin either side. */
  isActive(shard: Shard, nowMs: number): boolean {
    const windowMs = shard.intervalMs / WINDOWS_PER_INTERVAL;
    // Batches arrive within milliseconds of their schedule; the margin covers network and timer jitter.
    const marginMs = Math.max(50, windowMs / 8);
    const start = shard.window * windowMs;
    const phase = nowMs % shard.intervalMs;
    // Distance forward from the window's start, on the circle of the interval.
    const into = (phase - start + marginMs + shard.intervalMs) % shard.intervalMs;
    return into < windowMs + 2 * marginMs;
  }
}

function windowAt(intervalMs: number, atMs: number): number {
  return Math.min(WINDOWS_PER_INTERVAL - 1, Math.floor((atMs % intervalMs) / (intervalMs / WINDOWS_PER_INTERVAL)));
}
