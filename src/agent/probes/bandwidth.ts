import { lazyCrypto } from '../../lazy-builtins.js';
import { connect } from 'node:net';
import { LineDecoder } from '../../protocol/line-decoder.js';
import { isValidTaskId } from './auth.js';
import { epochMs, monoMs, type EpochClock } from './clock.js';
import { failure, failureFromError, type ProbeFailure } from './result.js';
import { SinkErrorCodes, parseSinkReply, signSinkHello, verifySinkResult, type SinkResult } from './sink-protocol.js';
import { SESSION_ID_BYTES } from './udp-packet.js';
import { Waker } from './wake.js';

export interface BandwidthOptions {
  host: string;
  port: number;
  taskId: string;
  secret: string;
  /** Length of the bulk transfer, 100..30000 ms (the sink may shorten it). */
  durationMs?: number;
  /**
   * Start of the transfer left out of the rate, so TCP start-up (slow-start overshoot, a
   * retransmission timeout) does not count as path capacity; default a quarter of the
   * duration, at most 1 s. 0 counts everything.
   */
  warmupMs?: number;
  /** Bounds the TCP connect and, separately, the wait for the sink's answer to the hello. */
  connectTimeoutMs?: number;
  clock?: EpochClock;
}

export interface BandwidthResult {
  ok: true;
  bitsPerSecond: number;
  /** Bytes and time the rate was computed from. */
  bytes: number;
  durationSeconds: number;
  /**
   * 'receiver': the sink's count from the end of warm-up to the end of the granted duration,
   * timed from its first received byte (the figure we want).
   * 'sender': the sink's report never came although the transfer completed; bytes handed to
   * the kernel over the sender's time, which overstates by up to one socket send buffer.
   */
  source: 'receiver' | 'sender';
  /** Payload bytes this side wrote. */
  senderBytes: number;
  /** The sink stopped at its deadline before our FIN arrived. */
  truncated: boolean;
}

const CHUNK = Buffer.alloc(64 * 1024);
/** Longest wait for the sink's report after our FIN: it reports at the FIN or at its own deadline. */
const RESULT_WAIT_MS = 5000;
const MAX_REPLY_LINE_BYTES = 4096;

const defaultWarmupMs = (durationMs: number): number => Math.min(1000, Math.floor(durationMs / 4));

function invalidOptions(o: BandwidthOptions): string | undefined {
  const durationMs = o.durationMs ?? 2000;
  const connectTimeoutMs = o.connectTimeoutMs ?? 3000;
  if (!isValidTaskId(o.taskId)) return 'invalid task id';
  if (o.secret.length === 0) return 'empty secret';
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) return `invalid port ${o.port}`;
  if (!Number.isInteger(durationMs) || durationMs < 100 || durationMs > 30_000) return 'durationMs must be an integer 100..30000';
  const warmupMs = o.warmupMs ?? defaultWarmupMs(durationMs);
  if (!Number.isInteger(warmupMs) || warmupMs < 0 || warmupMs > durationMs / 2) return 'warmupMs must be an integer from 0 to half of durationMs';
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs < 1 || connectTimeoutMs > 60_000) return 'connectTimeoutMs must be 1..60000';
  return undefined;
}

/**
 * Measures achievable TCP throughput to a peer's sink by a timed bulk transfer, honouring
 * backpressure. Never throws for network conditions; every wait is bounded, so it takes
 * at most about 2 * connectTimeoutMs + durationMs + 5 s.
 */
export async function measureBandwidth(options: BandwidthOptions): Promise<BandwidthResult | ProbeFailure> {
  const invalid = invalidOptions(options);
  if (invalid) return failure('error', invalid);
  const { durationMs = 2000, connectTimeoutMs = 3000, clock = epochMs } = options;
  const warmupMs = options.warmupMs ?? defaultWarmupMs(durationMs);
  const secret = Buffer.from(options.secret, 'utf8');
  const session = lazyCrypto().randomBytes(SESSION_ID_BYTES).toString('hex');
  const waker = new Waker();
  const decoder = new LineDecoder(MAX_REPLY_LINE_BYTES);
  let connected = false;
  let closed = false;
  let drained = false;
  let flushedAtMs: number | undefined;
  let socketError: Error | undefined;
  let readyDurationMs: number | undefined;
  let refusal: { code: string; message: string } | undefined;
  let result: SinkResult | undefined;

  const socket = connect({ host: options.host, port: options.port });
  socket.setNoDelay(true);
  socket.on('connect', () => (connected = true));
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      const reply = frame.kind === 'line' ? parseSinkReply(frame.text) : undefined;
      if (reply?.type === 'sink_ready') readyDurationMs ??= reply.duration_ms;
      else if (reply?.type === 'sink_result') result ??= reply;
      else if (reply?.type === 'error') refusal ??= reply;
    }
  });
  socket.on('drain', () => (drained = true));
  socket.on('finish', () => (flushedAtMs = monoMs()));
  socket.on('error', (err) => (socketError ??= err));
  socket.on('close', () => (closed = true));
  for (const event of ['connect', 'data', 'drain', 'finish', 'close']) socket.on(event, () => waker.notify());

  try {
    await waker.until(() => connected || closed, monoMs() + connectTimeoutMs);
    if (!connected) return socketError ? failureFromError(socketError) : failure('timeout', `connect to ${options.host}:${options.port} timed out`);

    socket.write(JSON.stringify(signSinkHello(secret, { task: options.taskId, session, t0: clock(), duration_ms: durationMs, warmup_ms: warmupMs })) + '\n');
    await waker.until(() => readyDurationMs !== undefined || refusal !== undefined || closed, monoMs() + connectTimeoutMs);
    if (refusal) return failure(refusal.code === SinkErrorCodes.auth ? 'auth_failed' : 'error', `sink refused: ${refusal.code} ${refusal.message}`);
    if (readyDurationMs === undefined) return closed ? failure('error', 'sink closed the connection without answering') : failure('timeout', 'sink did not answer the hello');

    let senderBytes = 0;
    const startMs = monoMs();
    const endMs = startMs + Math.min(readyDurationMs, durationMs);
    // A chunk is larger than the socket's high-water mark, so every write waits for drain:
    // the loop yields to the event loop and never queues more than one chunk in userland.
    while (monoMs() < endMs && !closed && result === undefined) {
      senderBytes += CHUNK.length;
      if (!socket.write(CHUNK)) {
        drained = false;
        await waker.until(() => drained || closed || result !== undefined, endMs);
      }
    }
    socket.end();
    await waker.until(() => result !== undefined || closed, monoMs() + RESULT_WAIT_MS);

    if (result) {
      if (!verifySinkResult(secret, session, result)) return failure('error', 'sink result failed verification');
      if (result.window_bytes <= 0 || result.window_ms <= 0) return failure('error', 'too little data reached the sink to compute a rate');
      const durationSeconds = result.window_ms / 1000;
      const bitsPerSecond = (result.window_bytes * 8) / durationSeconds;
      return { ok: true, bitsPerSecond, bytes: result.window_bytes, durationSeconds, source: 'receiver', senderBytes, truncated: result.truncated };
    }
    if (flushedAtMs !== undefined && !socketError) {
      const durationSeconds = (flushedAtMs - startMs) / 1000;
      return { ok: true, bitsPerSecond: (senderBytes * 8) / durationSeconds, bytes: senderBytes, durationSeconds, source: 'sender', senderBytes, truncated: false };
    }
    return socketError ? failureFromError(socketError) : failure('error', 'sink closed the connection before the transfer completed');
  } catch (err) {
    return failureFromError(err);
  } finally {
    socket.destroy();
  }
}
