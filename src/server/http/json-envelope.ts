import type { ServerResponse } from 'node:http';

// One envelope for every API answer, as Pushgateway's api/v1: {status, data} or
// {status, errorType, error}.

export function sendData(res: ServerResponse, data: unknown, status = 200): void {
  sendJson(res, status, { status: 'success', data });
}

export function sendError(res: ServerResponse, status: number, errorType: string, error: string): void {
  sendJson(res, status, { status: 'error', errorType, error });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
