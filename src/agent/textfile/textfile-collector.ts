import { constants } from 'node:fs';
import { join } from 'node:path';
import { lazyFsPromises } from '../../lazy-builtins.js';
import type { Logger } from '../../log.js';
import type { MetricFamily } from '../../protocol/messages.js';
import { fileFamilies } from './file-families.js';
import { mergeTextfiles, type TextfileRead } from './merge.js';
import { kindOf } from '../collectors/read-text.js';
import type { Collector } from '../collectors/types.js';

export interface TextfileLimits {
  /** .prom files read per collection (in name order); the rest are skipped with an error. */
  maxFiles: number;
  /** Bytes per file. */
  maxFileBytes: number;
  /** Series from all textfiles together, so they can never push a batch past the bridge's limit. */
  maxSeries: number;
}

export const TEXTFILE_LIMITS: TextfileLimits = { maxFiles: 100, maxFileBytes: 1024 * 1024, maxSeries: 5000 };

export interface TextfileOptions {
  dir: string;
  /** Label names a textfile may not set: instance, job and the agent's static labels. */
  forbiddenLabels: ReadonlySet<string>;
  log: Logger;
  limits?: TextfileLimits;
}

interface Reads {
  files: TextfileRead[];
  dirErrors: Map<string, string>;
}

/**
 * node_exporter's textfile collector: every *.prom file in `dir`, in Prometheus text format, sent
 * with the agent's batches. collect() reads and checks each file; reconcile() then joins them
 * knowing the other collectors' families, so no file can shadow one of those. Files are re-read
 * every collection, so a removed file's series are gone from the next batch.
 */
export function createTextfileCollector(options: TextfileOptions): Collector {
  const limits = options.limits ?? TEXTFILE_LIMITS;
  const reads = new WeakMap<MetricFamily[], Reads>();
  let reported = new Map<string, string>();
  return {
    name: 'textfile',
    async collect(signal) {
      const out: MetricFamily[] = [];
      reads.set(out, await readAll(options, limits, signal));
      return out;
    },
    reconcile(own, others) {
      const read = reads.get(own);
      if (read === undefined) return own;
      const { families, errors } = mergeTextfiles(read.files, others, limits.maxSeries, read.dirErrors);
      reported = logChanges(options.log, reported, errors);
      return families;
    },
  };
}

async function readAll(options: TextfileOptions, limits: TextfileLimits, signal: AbortSignal): Promise<Reads> {
  const dirErrors = new Map<string, string>();
  let names: string[];
  try {
    names = (await lazyFsPromises().readdir(options.dir, { withFileTypes: true }))
      .filter((e) => e.name.endsWith('.prom') && !e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    dirErrors.set(options.dir, `cannot read the textfile directory: ${(err as Error).message}`);
    return { files: [], dirErrors };
  }
  if (names.length > limits.maxFiles) {
    dirErrors.set(options.dir, `${names.length} .prom files; only the first ${limits.maxFiles} by name are read`);
  }
  const files = await Promise.all(names.slice(0, limits.maxFiles).map(async (name): Promise<TextfileRead> => {
    const path = join(options.dir, name);
    try {
      const { text, mtimeSeconds } = await readBounded(path, limits.maxFileBytes, signal);
      try {
        return { path, mtimeSeconds, result: fileFamilies(text, path, options.forbiddenLabels) };
      } catch (err) {
        return { path, mtimeSeconds, result: err as Error };
      }
    } catch (err) {
      if (signal.aborted) throw err;
      return { path, mtimeSeconds: 0, result: err as Error };
    }
  }));
  return { files, dirErrors };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads at most maxBytes of a regular file. O_NONBLOCK so that a FIFO named *.prom cannot hang the
 * read (it is then refused as not a regular file, as a symlink to a device is). Asynchronous,
 * unlike the /proc and /sys reads: the directory may be on slow or network storage.
 */
async function readBounded(path: string, maxBytes: number, signal: AbortSignal): Promise<{ text: string; mtimeSeconds: number }> {
  const handle = await lazyFsPromises().open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`${kindOf(stat)}, not a regular file; not read`);
    if (stat.size > maxBytes) throw new Error(`${stat.size} bytes; a textfile may have at most ${maxBytes}`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new Error(`grew past ${maxBytes} bytes while being read`);
    }
    let text: string;
    try {
      text = UTF8.decode(buffer.subarray(0, length));
    } catch {
      throw new Error('not valid UTF-8');
    }
    return { text, mtimeSeconds: Math.floor(stat.mtimeMs / 1000) };
  } finally {
    await handle.close();
  }
}

/** Logs a file's problem when it appears or changes, and when the file is fine again: not every interval. */
function logChanges(log: Logger, before: ReadonlyMap<string, string>, now: ReadonlyMap<string, string>): Map<string, string> {
  for (const [file, error] of now) {
    if (before.get(file) !== error) log.warn('textfile skipped', { file, error });
  }
  for (const file of before.keys()) {
    if (!now.has(file)) log.info('textfile problem resolved', { file });
  }
  return new Map(now);
}
