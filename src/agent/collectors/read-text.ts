import { readFile } from 'node:fs/promises';

/** A kernel text file, whole. Procfs files report size 0, so they are read, never stat'ed or copied. */
export function readText(path: string, signal: AbortSignal): Promise<string> {
  return readFile(path, { encoding: 'utf8', signal });
}

/**
 * Like readText, but a missing file (kernel without the feature, module not loaded, IPv6 off)
 * is `undefined` instead of an error; every other error still rejects.
 */
export async function readTextIfExists(path: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await readText(path, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
