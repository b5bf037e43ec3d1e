import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_TYPE } from '../text-format/format.js';
import type { MetricsBody } from '../exposition/metrics-body.js';
import type { SelfMetrics } from '../own-metrics/self-metrics.js';

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/.test(header);
}

/**
 * GET /metrics: Prometheus text format, gzip when asked (Prometheus always asks). The gzip
 * body is assembled from pieces compressed ahead (see exposition/gzip-member.ts); compression
 * runs on libuv's thread pool, so ingest keeps going meanwhile.
 */
export function metricsRoute(body: MetricsBody, self: SelfMetrics) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const stopTimer = self.scrapeDuration.startTimer();
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store', vary: 'Accept-Encoding' };
    if (acceptsGzip(req)) {
      const payload = Buffer.concat(await body.renderGzip());
      headers['content-encoding'] = 'gzip';
      stopTimer();
      res.writeHead(200, headers);
      res.end(payload);
      return;
    }
    const parts = await body.textParts();
    stopTimer();
    res.writeHead(200, headers);
    for (const part of parts) res.write(part);
    res.end();
  };
}
