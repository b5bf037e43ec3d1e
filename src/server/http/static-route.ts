import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendError } from './json-envelope.js';

/** The repository's console/ folder: three levels up from src/server/http or dist/server/http. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// Everything the page loads comes from the bridge itself; no inline script or style, no
// framing. connect-src 'self' covers fetch() and the EventSource of /api/events. The one
// exception: images from the linked Grafana, which tell the page whether Grafana answers.
export function consoleCsp(imageOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data:", ...imageOrigins].join(' '),
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

// One flat folder: a name is letters, digits, "_" and "-" with dotted extensions, so no
// separator, no "..", no hidden file can ever reach the filesystem call.
const FILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9]+)+$/;

/**
 * GET / (index.html) and GET /console/<file>. Unversioned file names, so the browser
 * revalidates every time (no-cache) and gets a 304 by ETag when nothing changed.
 */
export function staticRoute(dir = CONSOLE_DIR, imageOrigins: readonly string[] = []) {
  const csp = consoleCsp(imageOrigins);
  const root = dir.endsWith(sep) ? dir : dir + sep;
  return async (req: IncomingMessage, res: ServerResponse, name: string | undefined): Promise<void> => {
    const file = name ?? 'index.html';
    const type = CONTENT_TYPES[extname(file)];
    const path = join(root, file);
    if (!FILE_NAME_RE.test(file) || type === undefined || !path.startsWith(root)) return notFound(res, file);
    let info;
    try {
      info = await stat(path);
    } catch {
      return notFound(res, file);
    }
    if (!info.isFile()) return notFound(res, file);
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    res.setHeader('content-type', type);
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('etag', etag);
    res.setHeader('content-security-policy', csp);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
    const body = await readFile(path);
    res.writeHead(200, { 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function notFound(res: ServerResponse, file: string): void {
  sendError(res, 404, 'not_found', `no console file ${JSON.stringify(file)}`);
}
