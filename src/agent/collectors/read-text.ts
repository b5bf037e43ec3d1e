import { openSync, readFileSync } from 'node:fs';

/**
 * A kernel text file, whole. Procfs files report size 0, so they are read, never stat'ed or copied.
 * Read synchronously: /proc and /sys files are generated in memory and answered at once, and a
 * synchronous read costs about 25 µs of CPU where fs.promises' open/stat/read/close round trips
 * through the thread pool cost 150 µs (measured under the agent's --lite-mode), which for the ~150
 * files of a collection was most of the agent's CPU. Calls that can hang (statfs of a network
 * mount) stay asynchronous in their collectors.
 */
export async function readText(path: string, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  return readFileSync(path, 'utf8');
}

/**
 * readText without the promise, for collectors that read many files per collection (netclass,
 * processes): under --lite-mode each await is interpreted bookkeeping that costs more than the
 * read itself. Such a collector checks its signal itself, once per device or directory.
 */
export function readTextSync(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * Like readText, but a missing file (kernel without the feature, module not loaded, IPv6 off)
 * is `undefined` instead of an error; every other error still rejects.
 */
export async function readTextIfExists(path: string, signal: AbortSignal): Promise<string | undefined> {
  signal.throwIfAborted();
  return readTextIfExistsSync(path);
}

/** readTextIfExists without the promise. */
export function readTextIfExistsSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A file descriptor for reading, or undefined when the file does not exist (a process that
 * exited since the listing, IPv6 off); every other error throws. The caller closes it.
 */
export function openIfExists(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
