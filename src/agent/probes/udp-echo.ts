import type { EpochClock } from './clock.js';
import type { GrantTable } from './grants.js';
import { PacketKind, decodePacket, encodePacket, verifyPacket } from './udp-packet.js';

export type UdpDropReason = 'oversized' | 'malformed' | 'unknown_task' | 'bad_mac' | 'stale' | 'replay' | 'session_limit';
export const UDP_DROP_REASONS: readonly UdpDropReason[] = ['oversized', 'malformed', 'unknown_task', 'bad_mac', 'stale', 'replay', 'session_limit'];

export type EchoOutcome = { reply: Buffer } | { drop: UdpDropReason };

/**
 * Decides what to do with one datagram: an authenticated, fresh request gets a reply of
 * the same size; anything else is dropped with a reason and never answered.
 * receivedAtMs is the responder clock when the datagram arrived (t1).
 */
export function answerDatagram(datagram: Buffer, receivedAtMs: number, grants: GrantTable, clock: EpochClock, maxClockSkewMs: number): EchoOutcome {
  const decoded = decodePacket(datagram);
  if (!decoded.ok) return { drop: decoded.reason };
  const request = decoded.packet;
  if (request.kind !== PacketKind.echoRequest && request.kind !== PacketKind.summaryRequest) return { drop: 'malformed' };
  const grant = grants.lookup(request.taskId);
  if (!grant) return { drop: 'unknown_task' };
  if (!verifyPacket(decoded, grant.secret)) return { drop: 'bad_mac' };
  // Loose on purpose: peers' clocks may differ; this only bounds how old a replay can be.
  if (Math.abs(receivedAtMs - request.t0Ms) > maxClockSkewMs) return { drop: 'stale' };
  if (request.kind === PacketKind.echoRequest) {
    const record = grant.recordProbe(request.sessionId, request.seq);
    if (record !== 'new') return { drop: record };
  }
  const reply = encodePacket(
    {
      ...request,
      kind: request.kind === PacketKind.echoRequest ? PacketKind.echoReply : PacketKind.summaryReply,
      received: grant.receivedCount(request.sessionId),
      t1Ms: receivedAtMs,
      t2Ms: clock(),
    },
    grant.secret,
  );
  return { reply };
}
