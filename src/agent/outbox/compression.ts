import { lazyZlib } from '../../lazy-builtins.js';

// Batches that wait for an ack are kept compressed: a typical batch (50 KB of JSON, mostly
// repeated names and labels) shrinks about six-fold. Brotli at quality 1 was the cheapest
// here (about 0.2 ms per 50 KB batch, less than deflate level 1 for the same size), and a
// batch is compressed once, only if it is still unacknowledged when the next one is collected.

/** No batch is larger than this once decompressed (a corrupt file cannot blow up memory). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export function compressLine(line: string): Buffer {
  const { brotliCompressSync, constants } = lazyZlib();
  const out = brotliCompressSync(line, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: line.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
  });
  // zlib hands back a view of a larger output chunk; kept as is, a full outbox would hold more
  // than twice the bytes it counts (measured: bench/outbox-batch.ts). Keep exactly the bytes.
  return out.byteLength === out.buffer.byteLength ? out : Buffer.copyBytesFrom(out);
}

/** Throws on corrupt input or output beyond MAX_LINE_BYTES. */
export function decompressLine(data: Buffer): string {
  return lazyZlib().brotliDecompressSync(data, { maxOutputLength: MAX_LINE_BYTES }).toString('utf8');
}
