import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import { sendError } from './json-envelope.js';

export type Route = (req: IncomingMessage, res: ServerResponse, param: string | undefined) => void | Promise<void>;

/** Exact paths, plus `prefix/<param>` routes for one trailing path segment. */
export interface RouteTable {
  exact: Record<string, Route>;
  withParam: Record<string, Route>;
}

/** A small GET-only router over node:http; every failure answers in the JSON envelope. */
export function createHttpServer(routes: RouteTable, log: Logger): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const slash = path.lastIndexOf('/');
    const exact = routes.exact[path];
    const parametrised = exact ? undefined : routes.withParam[path.slice(0, slash)];
    const route = exact ?? parametrised;
    if (!route) return sendError(res, 404, 'not_found', `no route for ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
    }
    let param: string | undefined;
    try {
      param = parametrised ? decodeURIComponent(path.slice(slash + 1)) : undefined;
    } catch {
      // A malformed escape (e.g. %E0%A4%A) would otherwise throw out of the request handler.
      return sendError(res, 400, 'bad_request', `malformed percent-encoding in ${path}`);
    }
    Promise.resolve(route(req, res, param)).catch((err: Error) => {
      log.error('http handler failed', { path, error: err.message });
      if (!res.headersSent) sendError(res, 500, 'internal', err.message);
      else res.destroy();
    });
  });
}
