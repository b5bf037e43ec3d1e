import { MAC_BYTES, isValidTaskId, mac, macEquals } from './auth.js';

// UDP probe packet, version 1. All integers big-endian, times are float64 epoch ms.
//
//   0  4  magic "FPPB"
//   4  1  version (1)
//   5  1  kind (1 echo request, 2 echo reply, 3 summary request, 4 summary reply)
//   6  1  task id length L (1..64)
//   7  1  reserved, 0
//   8  8  session id: random per measurement run, chosen by the sender
//  16  4  seq (0..MAX_PROBE_SEQ-1); 0 in summaries
//  20  4  received: distinct seqs of this session that reached the responder; 0 in requests
//  24  8  t0: sender clock when the request left
//  32  8  t1: responder clock when the request arrived; 0 in requests
//  40  8  t2: responder clock when the reply left; 0 in requests
//  48  L  task id, ASCII
//  48+L 32 HMAC-SHA256(task secret, bytes 0 .. 48+L)
//
// Requests and replies have the same layout and size, so a reply is never larger than the
// request that caused it: the responder cannot amplify.

export const PROBE_MAGIC = 0x46505042;
export const PROBE_VERSION = 1;
export const HEADER_BYTES = 48;
export const MAX_TASK_ID_BYTES = 64;
export const MAX_PACKET_BYTES = HEADER_BYTES + MAX_TASK_ID_BYTES + MAC_BYTES;
/** Seqs per session the responder tracks; also the largest probe count per run. */
export const MAX_PROBE_SEQ = 1024;
export const SESSION_ID_BYTES = 8;

export const PacketKind = { echoRequest: 1, echoReply: 2, summaryRequest: 3, summaryReply: 4 } as const;
export type PacketKind = (typeof PacketKind)[keyof typeof PacketKind];

export interface ProbePacket {
  kind: PacketKind;
  taskId: string;
  /** 16 hex digits. */
  sessionId: string;
  seq: number;
  received: number;
  t0Ms: number;
  t1Ms: number;
  t2Ms: number;
}

export type DecodeResult =
  | { ok: true; packet: ProbePacket; signed: Buffer; mac: Buffer }
  | { ok: false; reason: 'oversized' | 'malformed' };

export function encodePacket(packet: ProbePacket, secret: string | Buffer): Buffer {
  const taskId = Buffer.from(packet.taskId, 'ascii');
  const body = Buffer.alloc(HEADER_BYTES + taskId.length);
  body.writeUInt32BE(PROBE_MAGIC, 0);
  body.writeUInt8(PROBE_VERSION, 4);
  body.writeUInt8(packet.kind, 5);
  body.writeUInt8(taskId.length, 6);
  Buffer.from(packet.sessionId, 'hex').copy(body, 8, 0, SESSION_ID_BYTES);
  body.writeUInt32BE(packet.seq, 16);
  body.writeUInt32BE(packet.received, 20);
  body.writeDoubleBE(packet.t0Ms, 24);
  body.writeDoubleBE(packet.t1Ms, 32);
  body.writeDoubleBE(packet.t2Ms, 40);
  taskId.copy(body, HEADER_BYTES);
  return Buffer.concat([body, mac(secret, body)]);
}

/** Parses the structure only; the caller looks up the task's secret and calls verifyPacket. */
export function decodePacket(datagram: Buffer): DecodeResult {
  if (datagram.length > MAX_PACKET_BYTES) return { ok: false, reason: 'oversized' };
  if (datagram.length < HEADER_BYTES + 1 + MAC_BYTES) return { ok: false, reason: 'malformed' };
  const kind = datagram.readUInt8(5);
  const taskIdBytes = datagram.readUInt8(6);
  if (
    datagram.readUInt32BE(0) !== PROBE_MAGIC ||
    datagram.readUInt8(4) !== PROBE_VERSION ||
    kind < PacketKind.echoRequest ||
    kind > PacketKind.summaryReply ||
    datagram.length !== HEADER_BYTES + taskIdBytes + MAC_BYTES
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const taskId = datagram.toString('ascii', HEADER_BYTES, HEADER_BYTES + taskIdBytes);
  const seq = datagram.readUInt32BE(16);
  const times = [datagram.readDoubleBE(24), datagram.readDoubleBE(32), datagram.readDoubleBE(40)] as const;
  if (!isValidTaskId(taskId) || seq >= MAX_PROBE_SEQ || !times.every(Number.isFinite)) return { ok: false, reason: 'malformed' };
  return {
    ok: true,
    packet: {
      kind: kind as PacketKind,
      taskId,
      sessionId: datagram.toString('hex', 8, 8 + SESSION_ID_BYTES),
      seq,
      received: datagram.readUInt32BE(20),
      t0Ms: times[0],
      t1Ms: times[1],
      t2Ms: times[2],
    },
    signed: datagram.subarray(0, HEADER_BYTES + taskIdBytes),
    mac: datagram.subarray(HEADER_BYTES + taskIdBytes),
  };
}

export function verifyPacket(decoded: { signed: Buffer; mac: Buffer }, secret: string | Buffer): boolean {
  return macEquals(mac(secret, decoded.signed), decoded.mac);
}
