import { createSocket, type RemoteInfo } from 'node:dgram';
import { epochMs } from '../../../src/agent/probes/clock.js';
import { PacketKind, decodePacket } from '../../../src/agent/probes/udp-packet.js';

export interface UdpRelayOptions {
  target: { host: string; port: number };
  /** Added to every datagram in each direction (JS timers: on a busy machine, more). */
  delayMs: number;
  /** Called with the 1-based number of each client -> target datagram; true drops it. */
  dropForward?: (n: number) => boolean;
}

/** What the relay saw of one probe and did with it (epoch ms on this process's clock). */
export interface RelayedProbe {
  seq: number;
  /** The sender's and the responder's timestamps, as written in the request and the reply. */
  t0Ms: number;
  t1Ms: number | undefined;
  t2Ms: number | undefined;
  /** From the request's arrival at the relay to its departure towards the target. */
  forwardHeldMs: number;
  /** From the reply's arrival at the relay to its departure towards the client; undefined: no reply. */
  reverseHeldMs: number | undefined;
  /** When the reply left the relay: the sender cannot have received it earlier. */
  replyLeftMs: number | undefined;
}

export interface UdpRelay {
  port: number;
  /** Where requests go; may be set after start (a responder started later, on a port it picked). */
  target: { host: string; port: number };
  forwarded: number;
  dropped: number;
  returned: number;
  /** Probe session ids in the order their first echo request arrived. */
  sessions(): string[];
  /** The echo requests of one session that the relay passed on, in seq order, with their hold times. */
  relayed(sessionId: string): RelayedProbe[];
  close(): Promise<void>;
}

/**
 * A stand-in for a slow, lossy path (this kernel has no netem): datagrams from one client
 * to the target and back, each held for delayMs, forward ones dropped by a rule. JS timers
 * fire late on a loaded machine, so the relay records how long it really held each probe
 * packet: tests compare a probe's figures with that, not with delayMs.
 */
export async function startUdpRelay(options: UdpRelayOptions): Promise<UdpRelay> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  const timers = new Set<NodeJS.Timeout>();
  // session -> seq -> hold times; only echo requests and replies are recorded.
  const bySession = new Map<string, Map<number, RelayedProbe>>();
  let client: RemoteInfo | undefined;
  let seen = 0;
  const echo = (datagram: Buffer, kind: PacketKind) => {
    const decoded = decodePacket(datagram);
    return decoded.ok && decoded.packet.kind === kind ? decoded.packet : undefined;
  };
  /** Sends after delayMs and tells `sent` how long the datagram was really held and when it left. */
  const later = (send: () => void, sent: (heldMs: number, leftMs: number) => void): void => {
    const arrivedMs = epochMs();
    const timer = setTimeout(() => {
      timers.delete(timer);
      const leftMs = epochMs();
      sent(leftMs - arrivedMs, leftMs);
      send();
    }, options.delayMs);
    timers.add(timer);
  };
  const relay: UdpRelay = {
    port: 0,
    target: options.target,
    forwarded: 0,
    dropped: 0,
    returned: 0,
    sessions: () => [...bySession.keys()],
    relayed: (sessionId) => [...(bySession.get(sessionId)?.values() ?? [])].sort((a, b) => a.seq - b.seq),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
    },
  };
  front.on('message', (datagram, from) => {
    client = from;
    if (options.dropForward?.(++seen)) {
      relay.dropped++;
      return;
    }
    relay.forwarded++;
    const request = echo(datagram, PacketKind.echoRequest);
    later(
      () => back.send(datagram, relay.target.port, relay.target.host),
      (heldMs) => {
        if (!request) return;
        if (!bySession.has(request.sessionId)) bySession.set(request.sessionId, new Map());
        bySession.get(request.sessionId)!.set(request.seq, { seq: request.seq, t0Ms: request.t0Ms, t1Ms: undefined, t2Ms: undefined, forwardHeldMs: heldMs, reverseHeldMs: undefined, replyLeftMs: undefined });
      },
    );
  });
  back.on('message', (datagram) => {
    const to = client;
    if (!to) return;
    relay.returned++;
    const reply = echo(datagram, PacketKind.echoReply);
    later(
      () => front.send(datagram, to.port, to.address),
      (heldMs, leftMs) => {
        const probe = reply && bySession.get(reply.sessionId)?.get(reply.seq);
        if (!probe) return;
        Object.assign(probe, { t1Ms: reply.t1Ms, t2Ms: reply.t2Ms, reverseHeldMs: heldMs, replyLeftMs: leftMs });
      },
    );
  });
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r())), new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()))]);
  relay.port = front.address().port;
  return relay;
}

/**
 * The figures a probe must report for the round trips a relay carried (ms, per probe in seq
 * order). One-way forward delay is exact: the relay read t0 and t1 from the packets. Of the
 * round trip and the reverse delay only a floor is known: the probe took its t3 some time
 * after the reply left the relay, the same time for both.
 */
export interface RelayTruth {
  /** Probes whose request and reply both passed. */
  count: number;
  forwardMs: number[];
  rttFloorMs: number[];
  reverseFloorMs: number[];
  /** What the relay itself added, each way: at least its nominal delay. */
  forwardHeldMs: number[];
  reverseHeldMs: number[];
}

/** @param peerAheadMs the responder's clock minus the sender's, as the probe was told. */
export function relayTruth(probes: readonly RelayedProbe[], peerAheadMs = 0): RelayTruth {
  type RoundTrip = { [K in keyof RelayedProbe]: NonNullable<RelayedProbe[K]> };
  const both = probes.filter((p): p is RoundTrip => p.replyLeftMs !== undefined);
  return {
    count: both.length,
    forwardMs: both.map((p) => p.t1Ms - peerAheadMs - p.t0Ms),
    rttFloorMs: both.map((p) => p.replyLeftMs - p.t0Ms - (p.t2Ms - p.t1Ms)),
    reverseFloorMs: both.map((p) => p.replyLeftMs - (p.t2Ms - peerAheadMs)),
    forwardHeldMs: both.map((p) => p.forwardHeldMs),
    reverseHeldMs: both.map((p) => p.reverseHeldMs),
  };
}
