import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// A small real HTTP proxy for a test to put between the bridge and its remote_write receiver:
// it records every request in arrival order (what arrived first: the newest batch or the
// backlog) and can answer one itself instead of the receiver (a 400 for a poisoned batch),
// over real sockets, without touching the bridge or VictoriaMetrics.

export interface ProxiedRequest {
  /** 0, 1, 2, ... in arrival order. */
  index: number;
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAtMs: number;
}

/** What the proxy does with a request: pass it on, answer it itself, or drop the connection. */
export type ProxyDecision = 'forward' | { status: number; body?: string } | 'hang-up';

export interface ProxiedExchange extends ProxiedRequest {
  decision: ProxyDecision;
  /** The status the sender got, or 'hang-up' (also when the receiver could not be reached). */
  answered: number | 'hang-up';
}

export interface ReceiverProxy {
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  exchanges: ProxiedExchange[];
  /** Decides each next request (default: forward everything). */
  setRule(rule: (request: ProxiedRequest) => ProxyDecision): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** Listens on 127.0.0.1 (port 0) and passes requests on to `targetUrl` (scheme, host and port; the path is kept). */
export async function startReceiverProxy(targetUrl: string): Promise<ReceiverProxy> {
  const target = new URL(targetUrl);
  const exchanges: ProxiedExchange[] = [];
  let rule: (request: ProxiedRequest) => ProxyDecision = () => 'forward';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const request: ProxiedRequest = { index: exchanges.length, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), receivedAtMs: Date.now() };
      const decision = rule(request);
      const exchange: ProxiedExchange = { ...request, decision, answered: 'hang-up' };
      exchanges.push(exchange);
      if (decision === 'hang-up') {
        req.socket.destroy();
        return;
      }
      if (decision !== 'forward') {
        exchange.answered = decision.status;
        res.writeHead(decision.status, { 'content-type': 'text/plain' }).end(decision.body ?? `refused by the test proxy (request ${request.index})\n`);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      fetch(new URL(request.path, target), { method: request.method, headers, body: ['GET', 'HEAD'].includes(request.method) ? undefined : new Uint8Array(request.body) })
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.arrayBuffer());
          exchange.answered = upstream.status;
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' }).end(body);
        })
        // The receiver is down: the sender sees a dropped connection, as if there were no proxy.
        .catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    exchanges,
    setRule: (next) => (rule = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
