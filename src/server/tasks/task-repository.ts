import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { moveAside, syncDir, tempFileOf, writeFileAtomic } from '../util/atomic-file.js';
import type { Task } from './task.js';
import { taskFileJson, taskFromFile } from './task-json.js';

/** The task directory or a task file cannot be read at all; start-up stops with this one line. */
export class TaskFileError extends Error {
  readonly code = 'FP_TASK_FILE';
}

/** A task file that was not a valid task, moved aside so the bridge starts with the rest. */
export interface CorruptTaskFile {
  path: string;
  /** Where it is now (`<path>.corrupt`, numbered if that exists); undefined if it could not be moved. */
  movedTo: string | undefined;
  problem: string;
}

const TASK_FILE_RE = /^(t_[0-9a-f]{20})\.json$/;

/**
 * Tasks on disk, one `<dir>/<id>.json` each, written atomically (util/atomic-file.ts).
 * File names come from task ids only (never from names). Without a directory the
 * repository keeps nothing (tests, or a bridge without FLEETPULSE_DATA_DIR).
 */
export class TaskRepository {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly removed = new Set<string>();
  private dirReady = false;

  constructor(readonly dir: string | undefined) {}

  /**
   * Reads every task file. A file that is not a valid task is moved aside to `<name>.corrupt`
   * and reported in `corrupt`; one that cannot be read at all (permissions) throws
   * TaskFileError naming it, and nothing is changed then. Returns the names of other files.
   */
  async loadAll(): Promise<{ tasks: Task[]; ignored: string[]; corrupt: CorruptTaskFile[] }> {
    if (this.dir === undefined) return { tasks: [], ignored: [], corrupt: [] };
    let names: string[];
    try {
      names = (await readdir(this.dir)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [], ignored: [], corrupt: [] };
      throw new TaskFileError(`task directory ${this.dir} cannot be read: ${(err as Error).message} (check FLEETPULSE_DATA_DIR and its permissions)`);
    }
    const tasks: Task[] = [];
    const ignored: string[] = [];
    const leftovers: string[] = [];
    const corrupt: CorruptTaskFile[] = [];
    for (const name of names) {
      const id = TASK_FILE_RE.exec(name)?.[1];
      if (id === undefined) {
        (TASK_FILE_RE.test(tempFileOf(name) ?? '') ? leftovers : ignored).push(name);
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
        corrupt.push({ path, movedTo: await moveAside(path, names), problem: (err as Error).message });
      }
    }
    // Temp files of writes a crash interrupted; the real file still holds the previous version.
    for (const name of leftovers) await unlink(join(this.dir, name)).catch(() => {});
    return { tasks, ignored, corrupt };
  }

  /** Writes the task's file atomically; writes of one task happen in call order. */
  save(task: Task): Promise<void> {
    const text = taskFileJson(task);
    return this.enqueue(task.id, async (dir) => {
      if (this.removed.has(task.id)) return;
      await writeFileAtomic(join(dir, `${task.id}.json`), text);
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
