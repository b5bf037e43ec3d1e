import { closeSync, openSync, readFile, readSync, statfs, type StatsFs } from 'node:fs';

/**
 * Node built-in modules that the agent needs only now and then (measurement tasks, TLS files, an
 * outbox that has to wait), loaded on first use instead of at start. Every built-in a process
 * loads stays in its memory: its compiled code in the heap and its source in pages of the node
 * binary. In the agent image (Node 22) node:crypto and node:zlib held about 1 MiB together while
 * the agent never used them (bench/results/2026-11-30-agent-image-rss.md). An `import` would load
 * them when the bundle starts.
 */
export const lazyCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');
export const lazyZlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');
/**
 * node:fs/promises loads readline's modules with it (FileHandle.readLines): 0.3 MiB of the agent's
 * RSS under Node 22 for two calls that fs's callback API makes as well (below). The textfile
 * collector, off unless configured, loads it when it runs.
 */
export const lazyFsPromises = (): typeof import('node:fs/promises') => process.getBuiltinModule('node:fs/promises');

/** fs.statfs as a promise, without node:fs/promises (above); the same errors (EACCES: ..., statfs '/x'). */
export function statfsAsync(path: string): Promise<StatsFs> {
  return new Promise((resolve, reject) => statfs(path, (err, stats) => (err ? reject(err) : resolve(stats))));
}

/** fs.readFile as a promise, without node:fs/promises (above). */
export function readFileAsync(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => readFile(path, (err, data) => (err ? reject(err) : resolve(data))));
}

/**
 * `bytes` random bytes from the kernel, as hex, without loading node:crypto (above). The same
 * source crypto.randomBytes draws from; where /dev/urandom cannot be read, node:crypto after all.
 */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    if (readSync(fd, buf, 0, bytes, null) === bytes) return buf.toString('hex');
  } catch {
    // fall through to node:crypto
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return lazyCrypto().randomBytes(bytes).toString('hex');
}
