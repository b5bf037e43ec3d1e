import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import { sendError } from './json-envelope.js';
import { HttpError, readJsonBody } from './json-body.js';
import type { HttpFront } from './http-front.js';

export type Route = (req: IncomingMessage, res: ServerResponse, param: string | undefined) => void | Promise<void>;

/** A route for a method with a body; readBody() parses it as JSON (json-body.ts) if and when the route asks. */
export type WriteRoute = (req: IncomingMessage, res: ServerResponse, param: string | undefined, readBody: () => Promise<unknown>) => void | Promise<void>;
export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type WriteRoutes = Partial<Record<WriteMethod, { exact?: Record<string, WriteRoute>; withParam?: Record<string, WriteRoute> }>>;

/** Exact paths, plus `prefix/<param>` routes for one trailing path segment. */
export interface RouteTable {
  /** GET and HEAD. */
  exact: Record<string, Route>;
  withParam: Record<string, Route>;
  /** Other methods, by method, with the same two kinds of path. */
  write?: WriteRoutes;
}

/** The write route for this method and path, with its undecoded parameter. */
function findWrite(write: WriteRoutes | undefined, method: string, path: string): { route: WriteRoute; rawParam: string | undefined } | undefined {
  const table = write?.[method as WriteMethod];
  const exact = table?.exact?.[path];
  if (exact) return { route: exact, rawParam: undefined };
  const slash = path.lastIndexOf('/');
  const route = table?.withParam?.[path.slice(0, slash)];
  return route && { route, rawParam: path.slice(slash + 1) };
}

/** A small router over node:http (GET routes, plus write routes with JSON bodies); every failure answers in the JSON envelope. */
export function createHttpServer(routes: RouteTable, log: Logger, front?: HttpFront): Server {
  const writeMethods = Object.keys(routes.write ?? {});
  // The front (http-front.ts) adds TLS, basic auth, the Host allowlist and connection limits.
  return (front ? front.createServer.bind(front) : createServer)((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const write = findWrite(routes.write, req.method ?? '', path);
    if (write) return runWrite(write.route, write.rawParam, req, res, path, log);
    const slash = path.lastIndexOf('/');
    const exact = routes.exact[path];
    const parametrised = exact ? undefined : routes.withParam[path.slice(0, slash)];
    const route = exact ?? parametrised;
    if (!route) return sendError(res, 404, 'not_found', `no route for ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', ['GET', 'HEAD', ...writeMethods.filter((m) => findWrite(routes.write, m, path))].join(', '));
      return sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
    }
    let param: string | undefined;
    try {
      param = parametrised ? decodeURIComponent(path.slice(slash + 1)) : undefined;
    } catch {
      // A malformed escape (e.g. %E0%A4%A) would otherwise throw out of the request handler.
      return sendError(res, 400, 'bad_request', `malformed percent-encoding in ${path}`);
    }
    Promise.resolve(route(req, res, param)).catch((err: Error) => answerFailure(err, req, res, path, log));
  });
}

function runWrite(route: WriteRoute, rawParam: string | undefined, req: IncomingMessage, res: ServerResponse, path: string, log: Logger): void {
  let param: string | undefined;
  try {
    param = rawParam === undefined ? undefined : decodeURIComponent(rawParam);
  } catch {
    return sendError(res, 400, 'bad_request', `malformed percent-encoding in ${path}`);
  }
  Promise.resolve(route(req, res, param, () => readJsonBody(req))).catch((err: Error) => answerFailure(err, req, res, path, log));
}

/** An HttpError is the route's answer; anything else is a 500. */
function answerFailure(err: Error, req: IncomingMessage, res: ServerResponse, path: string, log: Logger): void {
  if (res.headersSent) return void res.destroy();
  if (err instanceof HttpError) {
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    // A refused body may still be streaming in: do not read it all, end the connection.
    if (!req.complete) res.setHeader('connection', 'close');
    return sendError(res, err.status, err.errorType, err.message);
  }
  log.error('http handler failed', { path, error: err.message });
  sendError(res, 500, 'internal', err.message);
}
