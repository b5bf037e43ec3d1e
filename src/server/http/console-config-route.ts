import type { IncomingMessage, ServerResponse } from 'node:http';
import { VERSION } from '../../version.js';
import { sendData } from './json-envelope.js';

export interface ConsoleLinks {
  /** Prometheus and Grafana as the operator's browser reaches them; undefined hides the link. */
  prometheusUrl: string | undefined;
  grafanaUrl: string | undefined;
}

/**
 * GET /api/console-config: what the web console needs besides the data. server_time lets the
 * page show ages ("seen 3 s ago") by the bridge's clock rather than the browser's.
 */
export function consoleConfigRoute(links: ConsoleLinks, now: () => number = Date.now) {
  return (_req: IncomingMessage, res: ServerResponse): void =>
    sendData(res, {
      version: VERSION,
      prometheus_url: links.prometheusUrl ?? null,
      grafana_url: links.grafanaUrl ?? null,
      server_time: new Date(now()).toISOString(),
    });
}
