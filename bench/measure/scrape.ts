import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface Scrape {
  /** Request sent to last byte received. */
  seconds: number;
  /** Bytes on the wire (compressed when gzip was used). */
  bytes: number;
  gzip: boolean;
  /** The body, decompressed; only kept when asked for. */
  text?: string;
  startedAt: number;
}

/**
 * GET `url` as Prometheus does (with Accept-Encoding: gzip when `gzip`), timing it to the
 * last byte. The body is not decompressed while the clock runs.
 */
export function scrape(url: string, options: { gzip: boolean; keepText?: boolean; timeoutMs?: number }): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const started = performance.now();
    const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4' };
    if (options.gzip) headers['accept-encoding'] = 'gzip';
    const req = request(url, { headers, agent: false, timeout: options.timeoutMs ?? 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (options.keepText) chunks.push(chunk);
      });
      res.on('end', () => {
        const seconds = (performance.now() - started) / 1000;
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        const gzip = res.headers['content-encoding'] === 'gzip';
        const result: Scrape = { seconds, bytes, gzip, startedAt };
        if (options.keepText) {
          const raw = Buffer.concat(chunks);
          result.text = (gzip ? gunzipSync(raw) : raw).toString('utf8');
        }
        resolve(result);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${options.timeoutMs ?? 120_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sample lines (not comments, not blank) of an exposition. */
export function countSeries(text: string): number {
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start && text.charCodeAt(start) !== 35 /* # */) n++;
    start = end + 1;
  }
  return n;
}
