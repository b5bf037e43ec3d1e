import { lazyCrypto } from '../../lazy-builtins.js';
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isValidTaskId } from './auth.js';
import { epochMs, monoMs, type EpochClock } from './clock.js';
import { summarizeLatency, type ClockOffsets, type LatencyStats, type ProbeSample } from './latency-stats.js';
import { failure, failureFromError, type ProbeFailure } from './result.js';
import { MAX_PROBE_SEQ, PacketKind, SESSION_ID_BYTES, decodePacket, encodePacket, verifyPacket } from './udp-packet.js';
import { Waker } from './wake.js';

export interface LatencyOptions {
  host: string;
  port: number;
  taskId: string;
  secret: string;
  /** Probes to send, 1..1024. */
  count?: number;
  /** Spacing of probes, 0..10000 ms. */
  intervalMs?: number;
  /** A reply later than this after its probe counts as lost; also bounds each wait. 1..60000 ms. */
  timeoutMs?: number;
  /** Without offsets, one-way delay and jitter are null (one-way loss needs no clocks). */
  clockOffsetMs?: ClockOffsets;
  /** Epoch ms with sub-ms precision; injectable for tests. */
  clock?: EpochClock;
}

export interface LatencyResult extends LatencyStats {
  ok: true;
  /** False when the peer's final count was lost and delivered is a lower bound from replies. */
  deliveredExact: boolean;
  clockCorrected: boolean;
}

const SUMMARY_ATTEMPTS = 3;

function invalidOptions(o: LatencyOptions): string | undefined {
  const count = o.count ?? 10;
  const intervalMs = o.intervalMs ?? 10;
  const timeoutMs = o.timeoutMs ?? 1000;
  if (!isValidTaskId(o.taskId)) return 'invalid task id';
  if (o.secret.length === 0) return 'empty secret';
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) return `invalid port ${o.port}`;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PROBE_SEQ) return `count must be 1..${MAX_PROBE_SEQ}`;
  if (!Number.isFinite(intervalMs) || intervalMs < 0 || intervalMs > 10_000) return 'intervalMs must be 0..10000';
  if (!Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) return 'timeoutMs must be 1..60000';
  const offsets = o.clockOffsetMs;
  if (offsets && !(Number.isFinite(offsets.self) && Number.isFinite(offsets.peer))) return 'clock offsets must be finite';
  return undefined;
}

async function resolveHost(host: string, timeoutMs: number): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(host);
  if (family === 4 || family === 6) return { address: host, family };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`resolving ${host} timed out`), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    const found = await Promise.race([lookup(host), timeout]);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } finally {
    clearTimeout(timer);
  }
}

/** Connects the UDP socket, so ICMP errors (refused, unreachable) reach us as socket errors. */
function connectSocket(socket: Socket, port: number, address: string): Promise<void> {
  // Node hands a connect failure (e.g. ENETUNREACH: no route) to the callback, not to 'error'.
  return new Promise((resolve, reject) => socket.connect(port, address, ((err?: Error) => (err ? reject(err) : resolve())) as () => void));
}

/**
 * Sends `count` signed UDP probes to a peer's responder and measures round-trip and
 * one-way delay, jitter and loss. Never throws for network conditions: returns a failure
 * with a reason instead. Takes at most about count * intervalMs + 4 * timeoutMs.
 */
export async function measureLatency(options: LatencyOptions): Promise<LatencyResult | ProbeFailure> {
  const invalid = invalidOptions(options);
  if (invalid) return failure('error', invalid);
  const { taskId, count = 10, intervalMs = 10, timeoutMs = 1000, clock = epochMs } = options;
  const secret = Buffer.from(options.secret, 'utf8');

  let target: { address: string; family: 4 | 6 };
  try {
    target = await resolveHost(options.host, timeoutMs);
  } catch (err) {
    return failureFromError(err);
  }

  const socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
  const waker = new Waker();
  const sessionId = lazyCrypto().randomBytes(SESSION_ID_BYTES).toString('hex');
  const sentAt: { t0Ms: number; monoMs: number }[] = [];
  const samples = new Map<number, ProbeSample>();
  let receivedInReplies = 0;
  let summary: number | undefined;
  let socketError: Error | undefined;

  // With a connected socket, an ICMP port unreachable arrives as ECONNREFUSED.
  socket.on('error', (err) => {
    socketError ??= err;
    waker.notify();
  });
  socket.on('message', (datagram) => {
    const t3Ms = clock();
    const arrivedMono = monoMs();
    const decoded = decodePacket(datagram);
    if (!decoded.ok) return;
    const reply = decoded.packet;
    if (reply.taskId !== taskId || reply.sessionId !== sessionId || !verifyPacket(decoded, secret)) return;
    if (reply.kind === PacketKind.echoReply) {
      const sent = sentAt[reply.seq];
      if (!sent || sent.t0Ms !== reply.t0Ms || samples.has(reply.seq) || arrivedMono - sent.monoMs > timeoutMs) return;
      samples.set(reply.seq, { seq: reply.seq, t0Ms: reply.t0Ms, t1Ms: reply.t1Ms, t2Ms: reply.t2Ms, t3Ms });
      receivedInReplies = Math.max(receivedInReplies, reply.received);
    } else if (reply.kind === PacketKind.summaryReply) {
      summary = Math.max(summary ?? 0, reply.received);
    }
    waker.notify();
  });
  // Only an error before anything came back means the peer is not there.
  const hopeless = (): boolean => socketError !== undefined && samples.size === 0 && summary === undefined;
  const send = (kind: PacketKind, seq: number, t0Ms: number): void => {
    const packet = encodePacket({ kind, taskId, sessionId, seq, received: 0, t0Ms, t1Ms: 0, t2Ms: 0 }, secret);
    socket.send(packet, (err) => {
      if (err) {
        socketError ??= err;
        waker.notify();
      }
    });
  };

  try {
    await connectSocket(socket, options.port, target.address);
    const startMono = monoMs();
    for (let seq = 0; seq < count && !hopeless(); seq++) {
      await waker.until(hopeless, startMono + seq * intervalMs);
      const t0Ms = clock();
      sentAt[seq] = { t0Ms, monoMs: monoMs() };
      send(PacketKind.echoRequest, seq, t0Ms);
    }
    const sent = sentAt.length;
    await waker.until(() => hopeless() || samples.size === sent, monoMs() + timeoutMs);
    // The peer's own count tells forward loss from reverse loss even when replies were lost.
    for (let attempt = 0; attempt < SUMMARY_ATTEMPTS && summary === undefined && !hopeless(); attempt++) {
      if (attempt > 0 && samples.size === 0) break;
      send(PacketKind.summaryRequest, 0, clock());
      await waker.until(() => summary !== undefined || hopeless(), monoMs() + timeoutMs);
    }
    if (samples.size === 0 && summary === undefined) {
      return socketError ? failureFromError(socketError) : failure('timeout', `no reply from ${options.host}:${options.port} (no responder, task not granted, or wrong secret)`);
    }
    const delivered = summary ?? receivedInReplies;
    return {
      ok: true,
      ...summarizeLatency(sent, delivered, [...samples.values()], options.clockOffsetMs),
      deliveredExact: summary !== undefined,
      clockCorrected: options.clockOffsetMs !== undefined,
    };
  } catch (err) {
    return failureFromError(err);
  } finally {
    socket.removeAllListeners('message');
    socket.on('error', () => {});
    socket.close();
  }
}
