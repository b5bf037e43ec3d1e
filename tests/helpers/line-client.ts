import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { LineDecoder } from '../../src/protocol/line-decoder.js';

/** A raw protocol peer for tests: send any bytes, wait for parsed replies or the close. */
export class LineClient {
  readonly received: Record<string, unknown>[] = [];
  closed = false;
  private waiters: (() => void)[] = [];
  private listeners: ((m: Record<string, unknown>) => void)[] = [];

  private constructor(readonly socket: Socket) {
    const decoder = new LineDecoder(16 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind !== 'line') continue;
        const message = JSON.parse(frame.text) as Record<string, unknown>;
        this.received.push(message);
        for (const listener of this.listeners) listener(message);
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** @param localAddress source address, e.g. 127.0.0.2 to look like another host on loopback */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) }, () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Over TLS; resolves once the handshake completed (a refusal may still follow as an error line). */
  static connectTls(port: number, options: ConnectionOptions, host = '127.0.0.1'): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ port, host, ...options }, () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Calls `listener` with every message as it is parsed, for replies that must not wait for a poll. */
  onMessage(listener: (m: Record<string, unknown>) => void): void {
    this.listeners.push(listener);
  }

  send(message: unknown): void {
    this.socket.write(JSON.stringify(message) + '\n');
  }

  sendRaw(data: string | Buffer): void {
    this.socket.write(data);
  }

  hello(agentId: string, extra: Record<string, unknown> = {}): void {
    this.send({ type: 'hello', protocol: 1, agent_id: agentId, agent_version: 'test', ...extra });
  }

  /** Resolves with the first received message matching `match`, or rejects after timeoutMs. */
  async waitFor(match: (m: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await this.next(deadline - Date.now());
    }
  }

  waitForError(code: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.waitFor((m) => m.type === 'error' && m.code === code, timeoutMs);
  }

  async waitForClose(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`connection still open after ${timeoutMs} ms`);
      await this.next(deadline - Date.now());
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(ms, 0));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
