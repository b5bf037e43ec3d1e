import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants } from 'node:zlib';
import { CONTENT_TYPE } from '../exposition/text-format.js';
import type { MetricsBody } from '../exposition/metrics-body.js';
import type { SelfMetrics } from '../self-metrics.js';

const gzip = promisify(gzipCallback);

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/.test(header);
}

/** GET /metrics: Prometheus text format, gzip when asked (Prometheus always asks). */
export function metricsRoute(body: MetricsBody, self: SelfMetrics) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const stopTimer = self.scrapeDuration.startTimer();
    const text = await body.render();
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store', vary: 'Accept-Encoding' };
    let payload: Buffer | string = text;
    if (acceptsGzip(req)) {
      // Compression runs on libuv's thread pool, so ingest keeps going meanwhile.
      payload = await gzip(text, { level: constants.Z_BEST_SPEED });
      headers['content-encoding'] = 'gzip';
    }
    stopTimer();
    res.writeHead(200, headers);
    res.end(payload);
  };
}
