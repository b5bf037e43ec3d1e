import { connect, type Socket } from 'node:net';
import { encodeMessage } from '../../src/protocol/encode.js';
import { WHOLE_BATCH_REFUSALS } from '../../src/protocol/error-codes.js';
import { LineDecoder } from '../../src/protocol/line-decoder.js';
import { PROTOCOL_VERSION, type MetricFamily } from '../../src/protocol/messages.js';
import { parseServerMessage } from '../../src/protocol/parse.js';

/** A batch collected earlier (replayed from an outbox): it keeps its seq and collection time. */
export interface OldBatch {
  seq: number;
  timestampMs: number;
}

/** The bridge answered FP_RETRY_LATER for a batch: it has it live but not for history yet; send it again later. */
export class RetryLater extends Error {}

/**
 * One simulated agent speaking the real protocol with the real encoder: hello, then one
 * `metrics` batch per push, answered by an `ack` (several may be in flight; acks may come in
 * any order). Like the reference agent it answers the bridge's pings and pings the bridge
 * itself only after heartbeat_ms without sending anything, so the bridge carries the same
 * heartbeat load.
 */
export class ProtocolAgent {
  private socket: Socket | undefined;
  private readonly decoder = new LineDecoder(1024 * 1024);
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (samples: number) => void; reject: (err: Error) => void }>();
  private welcomed: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private pingId = 0;
  private lastSentMs = 0;

  constructor(
    readonly id: string,
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Resolves once the bridge's welcome arrived. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.welcomed = { resolve, reject };
      const socket = connect({ host: this.host, port: this.port });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('connect', () => {
        socket.write(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, agent_id: this.id, agent_version: 'bench', interval_ms: 5000 }));
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err) => this.failAll(err));
      socket.on('close', () => this.failAll(new Error(`${this.id}: connection closed`)));
    });
  }

  /** Seqs for `count` batches collected before the next fresh one (a backlog); returns the first. */
  reserveSeqs(count: number): number {
    const first = this.seq + 1;
    this.seq += count;
    return first;
  }

  /**
   * Sends one snapshot, fresh (next seq, collected now) or an old batch; resolves with the
   * samples the bridge acknowledged, rejects with RetryLater when the bridge asks for that.
   */
  push(families: MetricFamily[], old?: OldBatch): Promise<number> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error(`${this.id}: not connected`));
    const seq = old?.seq ?? ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      socket.write(encodeMessage({ type: 'metrics', seq, timestamp_ms: old?.timestampMs ?? Date.now(), families }));
      this.lastSentMs = Date.now();
    });
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      if (frame.kind !== 'line') continue;
      const message = parseServerMessage(frame.text);
      switch (message.type) {
        case 'welcome':
          this.heartbeat = setInterval(() => {
            if (Date.now() - this.lastSentMs < message.heartbeat_ms) return;
            this.socket?.write(encodeMessage({ type: 'ping', id: ++this.pingId, t0: Date.now() }));
            this.lastSentMs = Date.now();
          }, message.heartbeat_ms);
          this.welcomed?.resolve();
          this.welcomed = undefined;
          break;
        case 'ack':
          this.settle(message.seq)?.resolve(message.samples);
          break;
        case 'ping':
          this.socket?.write(encodeMessage({ type: 'pong', id: message.id, t0: message.t0, t1: Date.now(), t2: Date.now() }));
          this.lastSentMs = Date.now();
          break;
        case 'error':
          if (message.fatal || message.seq === undefined) this.failAll(new Error(`${this.id}: ${message.code} ${message.message}`));
          else if (message.code === 'FP_RETRY_LATER') this.settle(message.seq)?.reject(new RetryLater(`${this.id}: seq ${message.seq}: ${message.message}`));
          else if (WHOLE_BATCH_REFUSALS.has(message.code)) this.settle(message.seq)?.reject(new Error(`${this.id}: seq ${message.seq}: ${message.code} ${message.message}`));
          // Any other error with a seq refused part of the batch; its ack follows.
          break;
        case 'pong':
          break;
      }
    }
  }

  private failAll(err: Error): void {
    clearInterval(this.heartbeat);
    this.welcomed?.reject(err);
    this.welcomed = undefined;
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }

  private settle(seq: number): { resolve: (samples: number) => void; reject: (err: Error) => void } | undefined {
    const waiter = this.waiting.get(seq);
    this.waiting.delete(seq);
    return waiter;
  }
}
