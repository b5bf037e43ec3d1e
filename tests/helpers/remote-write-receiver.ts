import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { uncompress } from 'snappyjs';

// A remote_write receiver for tests: a real HTTP server on loopback that decodes each request
// with the protobuf and snappy libraries (not with our encoder's code) and answers as the test
// scripts it, possibly holding a request until the test releases it.

export interface ReceivedSeries {
  /** Label pairs in the order they came (the spec wants them sorted by name). */
  labelPairs: [string, string][];
  labels: Record<string, string>;
  samples: { value: number; timestampMs: number }[];
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  series: ReceivedSeries[];
}

/** How to answer one request: a status (and body), or hold it until release(). */
export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hold';

/** Decodes a remote_write 1.0 WriteRequest (already uncompressed). */
export function decodeWriteRequest(bytes: Uint8Array): ReceivedSeries[] {
  const series: ReceivedSeries[] = [];
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field !== 1 || wire !== WireType.LengthDelimited) throw new Error(`WriteRequest: unexpected field ${field}`);
    series.push(decodeTimeSeries(r.bytes()));
  }
  return series;
}

function decodeTimeSeries(bytes: Uint8Array): ReceivedSeries {
  const r = new BinaryReader(bytes);
  const labelPairs: [string, string][] = [];
  const samples: { value: number; timestampMs: number }[] = [];
  while (r.pos < r.len) {
    const [field] = r.tag();
    const inner = new BinaryReader(r.bytes());
    if (field === 1) {
      let name = '';
      let value = '';
      while (inner.pos < inner.len) {
        const [f] = inner.tag();
        if (f === 1) name = inner.string();
        else value = inner.string();
      }
      labelPairs.push([name, value]);
    } else if (field === 2) {
      let value = 0;
      let timestampMs = 0;
      while (inner.pos < inner.len) {
        const [f] = inner.tag();
        if (f === 1) value = inner.double();
        else timestampMs = Number(inner.int64());
      }
      samples.push({ value, timestampMs });
    } else {
      throw new Error(`TimeSeries: unexpected field ${field}`);
    }
  }
  return { labelPairs, labels: Object.fromEntries(labelPairs), samples };
}

export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Answers request number n (0-based); default 204. */
  answer: (n: number, request: ReceivedRequest) => Answer = () => ({ status: 204 });
  private held: ServerResponse[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** @param tls serve HTTPS with this certificate and key (files) */
  static async start(tls?: { cert: string; key: string }): Promise<TestReceiver> {
    let receiver: TestReceiver | undefined;
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver!.onRequest(req.headers, Buffer.concat(chunks), res));
    };
    const server: Server = tls ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handle) : createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as { port: number };
    receiver = new TestReceiver(server, `${tls ? 'https' : 'http'}://127.0.0.1:${port}/api/v1/write`);
    return receiver;
  }

  /** Every series received so far, all requests together. */
  get series(): ReceivedSeries[] {
    return this.requests.flatMap((r) => r.series);
  }

  /** Resolves once `n` requests have arrived (deadline only against hanging). */
  async waitForRequests(n: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.requests.length} of ${n} requests arrived within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
    }
  }

  /** Answers every held request with `status`. */
  release(status = 204): void {
    for (const res of this.held.splice(0)) res.writeHead(status).end();
  }

  async close(): Promise<void> {
    this.release(503);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(headers: IncomingHttpHeaders, body: Buffer, res: ServerResponse): void {
    const request: ReceivedRequest = { headers, series: decodeWriteRequest(uncompress(new Uint8Array(body))) };
    const n = this.requests.length;
    this.requests.push(request);
    for (const wake of this.waiters.splice(0)) wake();
    const answer = this.answer(n, request);
    if (answer === 'hold') {
      this.held.push(res);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? '');
  }
}
