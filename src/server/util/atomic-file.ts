import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// The bridge's state files (tasks, the agent registry) are written the same way: temp file,
// fsync, rename, fsync of the directory, so a crash leaves the old or the new version, never a
// torn one. A file that does not parse is moved aside to `<file>.corrupt`, never deleted.
// Each write has its own temp name (`.<file>.tmp-<8 hex>`), so overlapping writes never share one;
// a temp file left by a kill mid-write is removed at the next start (removeStaleTemps).

const TEMP_NAME_RE = /^\.(.+)\.tmp-[0-9a-f]{8}$/;

/** The file name a temp file of writeFileAtomic stands for (`.x.json.tmp-0badc0de` -> `x.json`), else undefined. */
export function tempFileOf(name: string): string | undefined {
  return TEMP_NAME_RE.exec(name)?.[1];
}

/** Writes text to path atomically (the directory must exist); mode 0600. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${randomBytes(4).toString('hex')}`);
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
}

/**
 * Removes the temp files of path's writes that a crash or kill interrupted (the file itself still
 * holds the previous version). Call at start, before this process writes path; returns their names.
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => tempFileOf(name) === basename(path));
  for (const name of stale) await unlink(join(dir, name)).catch(() => {});
  return stale;
}

/** Renames a corrupt file to `<path>.corrupt` (or `.corrupt.N`), never over an earlier one; undefined if it could not be moved. */
export async function moveAside(path: string, existing: readonly string[]): Promise<string | undefined> {
  const taken = new Set(existing.map((name) => join(path, '..', name)));
  let target = `${path}.corrupt`;
  for (let n = 1; taken.has(target); n++) target = `${path}.corrupt.${n}`;
  try {
    await rename(path, target);
    return target;
  } catch {
    return undefined;
  }
}

/** fsync of the directory makes the rename (or unlink) itself durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
