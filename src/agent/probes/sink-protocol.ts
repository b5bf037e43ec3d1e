import { isValidTaskId, mac, macEquals } from './auth.js';

// The TCP sink speaks JSON lines around a raw byte stream:
//   sender -> sink   {"type":"sink_hello","v":1,"task":..,"session":..,"t0":..,"duration_ms":..,"warmup_ms":..,"mac":..}
//   sink -> sender   {"type":"sink_ready","duration_ms":..,"warmup_ms":..}   (or an error line, then close)
//   sender -> sink   raw bytes for duration_ms, then FIN
//   sink -> sender   {"type":"sink_result","bytes":..,"duration_ms":..,"window_bytes":..,"window_ms":..,"truncated":..,"mac":..}
// Both MACs are HMAC-SHA256 keyed by the task secret over the fields joined with "|".

export const SINK_VERSION = 1;
/** A hello is ~250 bytes; anything longer before a newline is not one. */
export const MAX_SINK_HELLO_BYTES = 1024;

export const SinkErrorCodes = {
  auth: 'FP_PROBE_AUTH_FAILED',
  badRequest: 'FP_PROBE_BAD_REQUEST',
  helloTimeout: 'FP_PROBE_HELLO_TIMEOUT',
  busy: 'FP_PROBE_BUSY',
} as const;
export type SinkErrorCode = (typeof SinkErrorCodes)[keyof typeof SinkErrorCodes];

export interface SinkHello {
  type: 'sink_hello';
  v: number;
  task: string;
  /** 16 hex digits, random per transfer. */
  session: string;
  /** Sender clock, epoch ms. */
  t0: number;
  duration_ms: number;
  /** Start of the transfer left out of the rate (TCP start-up), like iperf3 --omit; < duration_ms. */
  warmup_ms: number;
  mac: string;
}

export interface SinkResult {
  type: 'sink_result';
  /** Payload bytes the sink received after sink_ready. */
  bytes: number;
  /** Sink's monotonic time from the first to the last payload byte. */
  duration_ms: number;
  /**
   * Bytes that arrived between warmup_ms and duration_ms after the first byte, and the time
   * between the chunks that bound them: rate = window_bytes / window_ms. The window leaves out
   * TCP start-up (slow-start overshoot and its retransmission timeout) and the tail (buffers
   * draining, a lost last segment), both of which would add idle time unrelated to the path rate.
   */
  window_bytes: number;
  window_ms: number;
  /** True when the sink stopped at its deadline rather than at the sender's FIN. */
  truncated: boolean;
  mac: string;
}

const helloMac = (secret: Buffer, h: Omit<SinkHello, 'type' | 'v' | 'mac'>): Buffer =>
  mac(secret, `sink_hello|${SINK_VERSION}|${h.task}|${h.session}|${h.t0}|${h.duration_ms}|${h.warmup_ms}`);

const resultMac = (secret: Buffer, session: string, r: Omit<SinkResult, 'type' | 'mac'>): Buffer =>
  mac(secret, `sink_result|${SINK_VERSION}|${session}|${r.bytes}|${r.duration_ms}|${r.window_bytes}|${r.window_ms}|${r.truncated}`);

export function signSinkHello(secret: Buffer, fields: Omit<SinkHello, 'type' | 'v' | 'mac'>): SinkHello {
  return { type: 'sink_hello', v: SINK_VERSION, ...fields, mac: helloMac(secret, fields).toString('hex') };
}

export function verifySinkHello(secret: Buffer, hello: SinkHello): boolean {
  return macEquals(helloMac(secret, hello), Buffer.from(hello.mac, 'hex'));
}

export function signSinkResult(secret: Buffer, session: string, fields: Omit<SinkResult, 'type' | 'mac'>): SinkResult {
  return { type: 'sink_result', ...fields, mac: resultMac(secret, session, fields).toString('hex') };
}

export function verifySinkResult(secret: Buffer, session: string, result: SinkResult): boolean {
  return macEquals(resultMac(secret, session, result), Buffer.from(result.mac, 'hex'));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A line that is a JSON object; undefined for anything else. */
function parseRecord(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const HEX = (digits: number): RegExp => new RegExp(`^[0-9a-f]{${digits}}$`);

/** Parses a sink_hello line; undefined when it is not one (the caller answers bad request). */
export function parseSinkHello(line: string): SinkHello | undefined {
  const value = parseRecord(line);
  if (!value) return undefined;
  const { type, v, task, session, t0, duration_ms, warmup_ms, mac: tag } = value;
  if (type !== 'sink_hello' || v !== SINK_VERSION) return undefined;
  if (typeof task !== 'string' || !isValidTaskId(task)) return undefined;
  if (typeof session !== 'string' || !HEX(16).test(session)) return undefined;
  if (typeof t0 !== 'number' || !Number.isFinite(t0)) return undefined;
  if (typeof duration_ms !== 'number' || !Number.isInteger(duration_ms) || duration_ms < 1) return undefined;
  if (typeof warmup_ms !== 'number' || !Number.isInteger(warmup_ms) || warmup_ms < 0 || warmup_ms >= duration_ms) return undefined;
  if (typeof tag !== 'string' || !HEX(64).test(tag)) return undefined;
  return { type, v, task, session, t0, duration_ms, warmup_ms, mac: tag };
}

/** Parses what the sink sends back: ready, result or error; undefined for anything else. */
export interface SinkReady {
  type: 'sink_ready';
  /** Granted: the sink may shorten a request, scaling warmup_ms with it. */
  duration_ms: number;
  warmup_ms: number;
}

export function parseSinkReply(line: string): SinkReady | SinkResult | { type: 'error'; code: string; message: string } | undefined {
  const value = parseRecord(line);
  if (!value) return undefined;
  if (value.type === 'sink_ready' && typeof value.duration_ms === 'number' && typeof value.warmup_ms === 'number') {
    return { type: 'sink_ready', duration_ms: value.duration_ms, warmup_ms: value.warmup_ms };
  }
  if (value.type === 'error' && typeof value.code === 'string') return { type: 'error', code: value.code, message: String(value.message ?? '') };
  const { bytes, duration_ms, window_bytes, window_ms, truncated, mac: tag } = value;
  if (
    value.type === 'sink_result' &&
    typeof bytes === 'number' &&
    typeof duration_ms === 'number' &&
    typeof window_bytes === 'number' &&
    typeof window_ms === 'number' &&
    typeof truncated === 'boolean' &&
    typeof tag === 'string'
  ) {
    return { type: 'sink_result', bytes, duration_ms, window_bytes, window_ms, truncated, mac: tag };
  }
  return undefined;
}
