import type { Socket } from 'node:net';
import { monoMs, type EpochClock } from './clock.js';
import type { Grant, GrantTable } from './grants.js';
import { MAX_SINK_HELLO_BYTES, SinkErrorCodes, parseSinkHello, signSinkResult, verifySinkHello, type SinkErrorCode } from './sink-protocol.js';

export type TcpRejectReason = 'oversized' | 'malformed' | 'unknown_task' | 'bad_mac' | 'stale' | 'replay' | 'session_limit' | 'hello_timeout' | 'busy' | 'source_limit';
export const TCP_REJECT_REASONS: readonly TcpRejectReason[] = ['oversized', 'malformed', 'unknown_task', 'bad_mac', 'stale', 'replay', 'session_limit', 'hello_timeout', 'busy', 'source_limit'];

export interface SinkLimits {
  maxClockSkewMs: number;
  /** Longest transfer granted; a longer request is shortened and told so in sink_ready. */
  maxDurationMs: number;
  /** Slack after the granted duration before the sink stops reading regardless. */
  marginMs: number;
  helloTimeoutMs: number;
  /** A transfer silent this long is over: it frees its slot instead of holding it to the deadline. */
  idleTimeoutMs: number;
}

export interface SinkEvents {
  onReject(reason: TcpRejectReason): void;
  onAccepted(session: SinkSession): void;
  onBytes(bytes: number): void;
  onClose(session: SinkSession): void;
}

/** How long a finished or rejected connection may linger for the peer to read our last line. */
const LINGER_MS = 1000;

const REJECT_CODES: Record<TcpRejectReason, SinkErrorCode> = {
  oversized: SinkErrorCodes.badRequest,
  malformed: SinkErrorCodes.badRequest,
  unknown_task: SinkErrorCodes.auth,
  bad_mac: SinkErrorCodes.auth,
  stale: SinkErrorCodes.auth,
  replay: SinkErrorCodes.auth,
  session_limit: SinkErrorCodes.busy,
  hello_timeout: SinkErrorCodes.helloTimeout,
  busy: SinkErrorCodes.busy,
  source_limit: SinkErrorCodes.busy,
};

/** Sends one JSON error line and closes; used for refusals before a session exists too. */
export function rejectConnection(socket: Socket, reason: TcpRejectReason): void {
  // One generic message per code: which check failed is in the counters, not told to strangers.
  const code = REJECT_CODES[reason];
  socket.end(JSON.stringify({ type: 'error', code, message: code === SinkErrorCodes.auth ? 'probe not authorised' : reason.replace('_', ' ') }) + '\n');
  // Keep reading so unread input does not turn our close into a reset that eats the line.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * One TCP sink connection: authenticate the hello, then read and discard for at most the
 * granted duration plus a margin, and report bytes and duration as the receiver saw them.
 */
export class SinkSession {
  grant: Grant | undefined;
  private state: 'hello' | 'receiving' | 'done' = 'hello';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout;
  private idle: NodeJS.Timeout | undefined;
  private session = '';
  private grantedMs = 0;
  private warmupMs = 0;
  private bytes = 0;
  private firstMs = 0;
  private lastMs = 0;
  /** Time and cumulative bytes at the last chunk by the end of warm-up, and by the end of the grant. */
  private windowStart = { ms: 0, bytes: 0 };
  private windowEnd = { ms: 0, bytes: 0 };

  constructor(
    private readonly socket: Socket,
    private readonly grants: GrantTable,
    private readonly clock: EpochClock,
    private readonly limits: SinkLimits,
    private readonly events: SinkEvents,
  ) {
    this.timer = setTimeout(() => this.reject('hello_timeout'), limits.helloTimeoutMs);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.finish(false));
    socket.on('error', () => {
      // A reset before a complete first line is not a probe either: counted like a clean close.
      if (this.state === 'hello') {
        this.state = 'done';
        events.onReject('malformed');
      }
      socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(this.timer);
      clearTimeout(this.idle);
      this.state = 'done';
      events.onClose(this);
    });
  }

  /** Drops the connection at once (grant revoked, responder stopping). */
  abort(): void {
    this.state = 'done';
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'receiving') return this.count(chunk);
    if (this.state !== 'hello') return;
    const newline = chunk.indexOf(0x0a);
    const head = newline === -1 ? chunk : chunk.subarray(0, newline);
    if (this.pendingBytes + head.length > MAX_SINK_HELLO_BYTES) {
      this.reject('oversized');
      return;
    }
    this.pending.push(head);
    this.pendingBytes += head.length;
    if (newline === -1) return;
    const accepted = this.onHello(Buffer.concat(this.pending).toString('utf8'));
    this.pending = [];
    const rest = chunk.subarray(newline + 1);
    if (accepted && rest.length > 0) this.count(rest);
  }

  /** True when the hello was accepted and the transfer may start. */
  private onHello(line: string): boolean {
    const hello = parseSinkHello(line);
    if (!hello) return this.reject('malformed');
    const grant = this.grants.lookup(hello.task);
    if (!grant) return this.reject('unknown_task');
    if (!verifySinkHello(grant.secret, hello)) return this.reject('bad_mac');
    if (Math.abs(this.clock() - hello.t0) > this.limits.maxClockSkewMs) return this.reject('stale');
    const record = grant.recordSink(hello.session);
    if (record !== 'new') return this.reject(record);
    const durationMs = Math.min(hello.duration_ms, this.limits.maxDurationMs);
    this.grant = grant;
    this.grantedMs = durationMs;
    this.warmupMs = Math.floor((hello.warmup_ms * durationMs) / hello.duration_ms);
    this.session = hello.session;
    this.state = 'receiving';
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(true), durationMs + this.limits.marginMs);
    this.idle = setTimeout(() => this.finish(true), this.limits.idleTimeoutMs);
    this.events.onAccepted(this);
    this.socket.write(JSON.stringify({ type: 'sink_ready', duration_ms: durationMs, warmup_ms: this.warmupMs }) + '\n');
    return true;
  }

  private count(chunk: Buffer): void {
    this.idle?.refresh();
    const now = monoMs();
    if (this.bytes === 0) this.firstMs = now;
    this.lastMs = now;
    this.bytes += chunk.length;
    // A chunk is counted at its arrival, so the window runs from a chunk to a chunk: the bytes
    // of the chunk that opens it took no measured time and are left out.
    const sinceFirstMs = now - this.firstMs;
    const mark = { ms: sinceFirstMs, bytes: this.bytes };
    if (sinceFirstMs <= this.warmupMs) this.windowStart = mark;
    if (sinceFirstMs <= this.grantedMs) this.windowEnd = mark;
    this.events.onBytes(chunk.length);
  }

  private finish(truncated: boolean): void {
    if (this.state !== 'receiving' || !this.grant) {
      this.reject('malformed');
      return;
    }
    this.state = 'done';
    clearTimeout(this.timer);
    clearTimeout(this.idle);
    const result = signSinkResult(this.grant.secret, this.session, {
      bytes: this.bytes,
      duration_ms: this.lastMs - this.firstMs,
      window_bytes: this.windowEnd.bytes - this.windowStart.bytes,
      window_ms: this.windowEnd.ms - this.windowStart.ms,
      truncated,
    });
    this.socket.end(JSON.stringify(result) + '\n');
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  private reject(reason: TcpRejectReason): false {
    if (this.state !== 'hello') return false;
    this.state = 'done';
    clearTimeout(this.timer);
    this.events.onReject(reason);
    rejectConnection(this.socket, reason);
    return false;
  }
}
