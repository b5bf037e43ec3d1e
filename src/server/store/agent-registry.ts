import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../log.js';
import { moveAside, removeStaleTemps, writeFileAtomic } from '../util/atomic-file.js';
import type { TimerHandle, Timers } from '../../net/timers.js';
import type { AgentStore } from './agent-store.js';
import type { KnownAgent } from './known-agent.js';
import { MAX_REGISTRY_FILE_BYTES, decodeRegistry, encodeRegistry } from './registry-file.js';

// The agents the bridge knows, kept in <data dir>/agents.json across its restarts, so an agent
// that was down before a restart is still reported down after it (and AgentDown keeps firing)
// until it is forgotten. Written when an agent connects, goes, or is forgotten (never per
// batch), at most once per MIN_WRITE_GAP_MS, and every CHECKPOINT_MS while agents are connected
// so their last-seen time survives a crash of the bridge. A bad file never stops the bridge: it
// is moved aside to agents.json.corrupt, counted, and the bridge starts without it.

/** Changes within this long after a write go into the next one (a reconnect storm is a few writes). */
export const MIN_WRITE_GAP_MS = 1000;
/** How stale a connected agent's last-seen time may be in the file when the bridge is killed. */
export const CHECKPOINT_MS = 60_000;

export interface RegistryMetrics {
  /** The file was unusable at start-up and set aside. */
  corrupt(): void;
  writeFailed(): void;
}

export class AgentRegistry {
  private dirty = false;
  private closed = false;
  private lastWriteAtMs = Number.NEGATIVE_INFINITY;
  private pending: TimerHandle | undefined;
  private checkpoint: TimerHandle | undefined;
  private writing: Promise<void> | undefined;
  private failing = false;
  private truncated = false;

  /** path undefined keeps nothing (a bridge without a data directory, most tests). */
  constructor(
    readonly path: string | undefined,
    private readonly store: AgentStore,
    private readonly timers: Timers,
    private readonly metrics: RegistryMetrics,
    private readonly log: Logger,
  ) {}

  /** Restores the agents of the file into the store, then keeps the file up to date. Never throws. */
  async start(): Promise<void> {
    if (this.path === undefined) return;
    // A bridge killed mid-write leaves its temp file; agents.json itself holds the previous version.
    const stale = await removeStaleTemps(this.path);
    if (stale.length > 0) this.log.info('removed temp files of an interrupted registry write', { path: this.path, files: stale.join(',') });
    const known = await this.read(this.path);
    if (known.length > 0) {
      const restored = this.store.restore(known);
      const states = this.store.list().map((a) => a.state);
      this.log.info('agents restored from the registry', {
        path: this.path,
        restored,
        down: states.filter((s) => s === 'down').length,
        departed: states.filter((s) => s === 'departed').length,
        already_forgotten: known.length - restored,
      });
    }
    this.store.onChange(() => this.schedule());
    this.armCheckpoint();
    // Writes the file even without a change: it drops what was forgotten while the bridge was away.
    this.schedule();
  }

  /** Writes what is pending and stops (bridge shutdown, after the agents' connections closed). */
  async close(): Promise<void> {
    this.closed = true;
    this.checkpoint?.cancel();
    this.pending?.cancel();
    this.pending = undefined;
    await this.writing;
    if (this.dirty && this.path !== undefined) await this.write(this.path);
  }

  /** Resolves once everything changed so far is on disk (or failed): for tests. */
  async flushed(): Promise<void> {
    while (this.dirty || this.writing) {
      if (this.path === undefined) return;
      if (this.writing) await this.writing;
      else await this.write(this.path);
    }
  }

  private schedule(): void {
    this.dirty = true;
    if (this.pending || this.closed || this.path === undefined) return;
    const path = this.path;
    const waitMs = Math.max(0, this.lastWriteAtMs + MIN_WRITE_GAP_MS - this.timers.now());
    this.pending = this.timers.setTimeout(() => {
      this.pending = undefined;
      if (!this.writing) void this.write(path);
    }, waitMs);
  }

  private armCheckpoint(): void {
    this.checkpoint = this.timers.setTimeout(() => {
      if (this.store.list().some((a) => a.connected)) this.schedule();
      this.armCheckpoint();
    }, CHECKPOINT_MS);
  }

  private async write(path: string): Promise<void> {
    this.dirty = false;
    this.lastWriteAtMs = this.timers.now();
    const done = this.writeNow(path, this.store.known());
    this.writing = done;
    await done;
    this.writing = undefined;
    if (this.dirty && !this.closed) this.schedule();
  }

  private async writeNow(path: string, agents: KnownAgent[]): Promise<void> {
    // Past the limits, keep who matters most for alerts: the connected, then the most recently seen.
    agents.sort((a, b) => Number(b.state === 'connected') - Number(a.state === 'connected') || b.lastSeen - a.lastSeen);
    const { text, kept } = encodeRegistry(agents, this.timers.now());
    if (kept < agents.length && !this.truncated) {
      this.log.warn('agent registry is full; the longest-gone agents are not kept across a restart', { path, kept, agents: agents.length, max_bytes: MAX_REGISTRY_FILE_BYTES });
    }
    this.truncated = kept < agents.length;
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, text);
      if (this.failing) this.log.info('agent registry written again', { path });
      this.failing = false;
    } catch (err) {
      this.metrics.writeFailed();
      if (!this.failing) {
        this.log.error('agent registry cannot be written; down agents will be forgotten if the bridge restarts', {
          path,
          error: (err as Error).message,
          hint: 'check FLEETPULSE_DATA_DIR: free space and write permission',
        });
      }
      this.failing = true;
    }
  }

  /** The file's agents; [] when there is none, or when it is unusable (then it is set aside). */
  private async read(path: string): Promise<KnownAgent[]> {
    let text: string;
    try {
      const size = (await stat(path)).size;
      if (size > MAX_REGISTRY_FILE_BYTES) return await this.setAside(path, `${size} bytes, more than ${MAX_REGISTRY_FILE_BYTES}`);
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      return await this.setAside(path, `cannot be read: ${(err as Error).message}`);
    }
    try {
      return decodeRegistry(text);
    } catch (err) {
      return await this.setAside(path, (err as Error).message);
    }
  }

  private async setAside(path: string, problem: string): Promise<[]> {
    this.metrics.corrupt();
    const existing = await readdir(dirname(path)).catch(() => [basename(path)]);
    const movedTo = await moveAside(path, existing);
    this.log.error('agent registry is corrupt; starting without it (agents down before this start are not reported until they connect)', {
      path,
      moved_to: movedTo ?? 'nowhere (it could not be renamed; the next write replaces it)',
      problem,
      hint: 'nothing to do for the bridge; keep the .corrupt file if you want to report the problem',
    });
    return [];
  }
}
