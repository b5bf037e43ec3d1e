import { closeSync, openSync, readSync } from 'node:fs';

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
