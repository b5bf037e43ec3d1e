import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { VERSION } from '../../version.js';
import type { RemoteWriteOptions } from './remote-write-options.js';

// One remote_write POST: headers as the 1.0 spec requires, credentials read from their files at
// each request (so a rotated secret is used at once, as Prometheus does), keep-alive connections.

/** What came back: a status and the start of the body (for logs), or a network error. */
export type PostResult = { status: number; body: string; retryAfterMs: number | undefined } | { error: string };

/** Bytes of a response body kept for the log; the rest is read and discarded. */
const BODY_SNIPPET_BYTES = 512;

export class RemoteWritePost {
  private readonly agent: HttpAgent;
  private readonly isHttps: boolean;

  constructor(
    private readonly url: URL,
    private readonly options: RemoteWriteOptions,
  ) {
    this.isHttps = url.protocol === 'https:';
    this.agent = this.isHttps
      ? new HttpsAgent({ keepAlive: true, maxSockets: options.concurrency, ca: options.tlsCaFile === undefined ? undefined : readFileSync(options.tlsCaFile), rejectUnauthorized: options.insecureSkipVerify !== true })
      : new HttpAgent({ keepAlive: true, maxSockets: options.concurrency });
  }

  send(body: Buffer): Promise<PostResult> {
    let headers: Record<string, string>;
    try {
      headers = this.headers(body.length);
    } catch (err) {
      return Promise.resolve({ error: (err as Error).message });
    }
    return new Promise((resolve) => {
      const request = (this.isHttps ? httpsRequest : httpRequest)(this.url, { method: 'POST', agent: this.agent, headers, timeout: this.options.timeoutMs }, (res) => readSnippet(res, resolve));
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      request.on('error', (err) => resolve({ error: err.message }));
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private headers(length: number): Record<string, string> {
    const headers: Record<string, string> = {
      ...this.options.headers,
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'content-length': String(length),
      'user-agent': `fleetpulse/${VERSION}`,
      'x-prometheus-remote-write-version': '0.1.0',
    };
    const { username, passwordFile, bearerTokenFile } = this.options;
    if (username !== undefined) {
      const password = passwordFile === undefined ? '' : firstLine(passwordFile, 'FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE');
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    } else if (bearerTokenFile !== undefined) {
      headers.authorization = `Bearer ${firstLine(bearerTokenFile, 'FLEETPULSE_REMOTE_WRITE_BEARER_TOKEN_FILE')}`;
    }
    return headers;
  }
}

function firstLine(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]!.trim();
  } catch (err) {
    throw new Error(`${setting}=${path} cannot be read: ${(err as Error).message}`);
  }
}

function readSnippet(res: IncomingMessage, resolve: (result: PostResult) => void): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  res.on('data', (chunk: Buffer) => {
    if (kept < BODY_SNIPPET_BYTES) {
      chunks.push(chunk);
      kept += chunk.length;
    }
  });
  const done = (): void => {
    const body = Buffer.concat(chunks).subarray(0, BODY_SNIPPET_BYTES).toString('utf8').trim();
    resolve({ status: res.statusCode ?? 0, body, retryAfterMs: retryAfter(res.headers['retry-after']) });
  };
  res.on('end', done);
  res.on('error', (err) => resolve({ error: err.message }));
  res.on('aborted', () => resolve({ error: 'response aborted' }));
}

/** Retry-After in seconds (the HTTP-date form is rare for receivers and ignored). */
function retryAfter(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header) * 1000;
}
