import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Task } from './task.js';
import { taskFileJson, taskFromFile } from './task-json.js';

/** A task file the bridge cannot use; start-up stops with this one line. */
export class TaskFileError extends Error {
  readonly code = 'FP_TASK_FILE';
}

const TASK_FILE_RE = /^(t_[0-9a-f]{20})\.json$/;
const TEMP_FILE_RE = /^\.t_[0-9a-f]{20}\.json\.tmp-[0-9a-f]{8}$/;

/**
 * Tasks on disk, one `<dir>/<id>.json` each. Writes are atomic (temp file, fsync, rename,
 * fsync of the directory), so a crash leaves the old or the new version, never a torn one.
 * File names come from task ids only (never from names). Without a directory the
 * repository keeps nothing (tests, or a bridge without FLEETPULSE_DATA_DIR).
 */
export class TaskRepository {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly removed = new Set<string>();
  private dirReady = false;

  constructor(readonly dir: string | undefined) {}

  /**
   * Reads every task file. Throws TaskFileError naming the first file that cannot be read or
   * is not a valid task; nothing is written or removed then. Returns the names of other files.
   */
  async loadAll(): Promise<{ tasks: Task[]; ignored: string[] }> {
    if (this.dir === undefined) return { tasks: [], ignored: [] };
    let names: string[];
    try {
      names = (await readdir(this.dir)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [], ignored: [] };
      throw new TaskFileError(`task directory ${this.dir} cannot be read: ${(err as Error).message} (check FLEETPULSE_DATA_DIR and its permissions)`);
    }
    const tasks: Task[] = [];
    const ignored: string[] = [];
    const leftovers: string[] = [];
    for (const name of names) {
      const id = TASK_FILE_RE.exec(name)?.[1];
      if (id === undefined) {
        (TEMP_FILE_RE.test(name) ? leftovers : ignored).push(name);
        continue;
      }
      const path = join(this.dir, name);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        throw new TaskFileError(`task file ${path} cannot be read: ${(err as Error).message}; fix its permissions or move it away (nothing was changed)`);
      }
      try {
        tasks.push(taskFromFile(text, id));
      } catch (err) {
        throw new TaskFileError(`task file ${path} is corrupt: ${(err as Error).message}; fix it or move it away (nothing was changed)`);
      }
    }
    // Temp files of writes a crash interrupted; the real file still holds the previous version.
    for (const name of leftovers) await unlink(join(this.dir, name)).catch(() => {});
    return { tasks, ignored };
  }

  /** Writes the task's file atomically; writes of one task happen in call order. */
  save(task: Task): Promise<void> {
    const text = taskFileJson(task);
    return this.enqueue(task.id, async (dir) => {
      if (this.removed.has(task.id)) return;
      const path = join(dir, `${task.id}.json`);
      const temp = join(dir, `.${task.id}.json.tmp-${randomBytes(4).toString('hex')}`);
      try {
        const file = await open(temp, 'wx', 0o600);
        try {
          await file.writeFile(text, 'utf8');
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, path);
      } catch (err) {
        await unlink(temp).catch(() => {});
        throw err;
      }
      await syncDir(dir);
    });
  }

  /** Deletes the task's file after any write still under way; later saves of it do nothing. */
  remove(id: string): Promise<void> {
    this.removed.add(id);
    return this.enqueue(id, async (dir) => {
      await unlink(join(dir, `${id}.json`)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await syncDir(dir);
    });
  }

  /** Waits for every write under way (bridge shutdown). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }

  private enqueue(id: string, work: (dir: string) => Promise<void>): Promise<void> {
    const dir = this.dir;
    if (dir === undefined) return Promise.resolve();
    const run = async () => {
      if (!this.dirReady) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        this.dirReady = true;
      }
      await work(dir);
    };
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(run);
    this.queues.set(id, next);
    void next.finally(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    }).catch(() => {});
    return next;
  }
}

/** fsync of the directory makes the rename (or unlink) itself durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
