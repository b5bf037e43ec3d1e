import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { sourceKey } from '../../net/source-key.js';
import { epochMs, type EpochClock } from './clock.js';
import { GrantTable, type GrantTableOptions } from './grants.js';
import { SinkSession, TCP_REJECT_REASONS, rejectConnection, type TcpRejectReason } from './sink-session.js';
import { UDP_DROP_REASONS, answerDatagram, type UdpDropReason } from './udp-echo.js';

export const DEFAULT_PROBE_PORT = 9702;

export interface ProbeResponderOptions {
  /** Address to bind, an IP literal; default 0.0.0.0. */
  host?: string;
  /** UDP and TCP port; default 9702. 0 picks a free port (the same for both). */
  port?: number;
  /** Epoch ms for t1/t2 and freshness checks; injectable for tests. */
  clock?: EpochClock;
  /** Probes whose sender time is further than this from ours are stale; default 15 min. */
  maxClockSkewMs?: number;
  /** Longest bulk transfer the sink accepts; default 30 s. */
  maxSinkDurationMs?: number;
  /** The sink stops reading this long after the granted duration; default 1.5 s. */
  sinkMarginMs?: number;
  /** Time a TCP peer has to send its hello; default 2 s (peers send it right after connecting). */
  helloTimeoutMs?: number;
  /** A transfer with no data for this long ends early, freeing its slot; default 5 s. */
  idleTimeoutMs?: number;
  /** Concurrent TCP connections; more are refused with FP_PROBE_BUSY. Default 16. */
  maxTcpConnections?: number;
  /** Concurrent TCP connections from one address (IPv6: one /64); default 4. */
  maxTcpPerSource?: number;
  grants?: GrantTableOptions;
}

export interface ResponderCounters {
  udpAnswered: number;
  udpDropped: Record<UdpDropReason, number>;
  /** Authenticated sink transfers. */
  tcpAccepted: number;
  tcpRejected: Record<TcpRejectReason, number>;
  tcpBytesReceived: number;
}

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/**
 * The agent's probe responder: a UDP echo and a TCP sink on one port, answering only
 * probes signed for a task the bridge granted. Everything else is dropped (UDP, never
 * reflected) or refused with one JSON error line (TCP), and counted by reason.
 */
export class ProbeResponder {
  private readonly grants: GrantTable;
  private readonly clock: EpochClock;
  private readonly stats: ResponderCounters = {
    udpAnswered: 0,
    udpDropped: zeros(UDP_DROP_REASONS),
    tcpAccepted: 0,
    tcpRejected: zeros(TCP_REJECT_REASONS),
    tcpBytesReceived: 0,
  };
  private readonly connections = new Set<Socket>();
  private readonly perSource = new Map<string, number>();
  private readonly sinks = new Set<SinkSession>();
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private bound: { host: string; port: number } | undefined;

  constructor(private readonly options: ProbeResponderOptions = {}) {
    this.grants = new GrantTable(options.grants);
    this.clock = options.clock ?? epochMs;
  }

  /** Binds UDP and TCP on the same port; rejects if the port is taken. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.bound) return this.bound;
    const host = this.options.host ?? '0.0.0.0';
    if (isIP(host) === 0) throw new RangeError(`probe responder host must be an IP address, got ${JSON.stringify(host)}`);
    const wanted = this.options.port ?? DEFAULT_PROBE_PORT;
    // With port 0 the TCP port is picked first; the same UDP port may be taken, so retry.
    for (let attempt = 0; ; attempt++) {
      const tcp = await this.listenTcp(host, wanted);
      const port = (tcp.address() as { port: number }).port;
      try {
        this.udp = await this.bindUdp(host, port);
        this.tcp = tcp;
        this.bound = { host, port };
        return this.bound;
      } catch (err) {
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        if (wanted !== 0 || attempt >= 4) throw err;
      }
    }
  }

  async stop(): Promise<void> {
    for (const sink of this.sinks) sink.abort();
    for (const socket of this.connections) socket.destroy();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    this.bound = undefined;
    await Promise.all([
      udp && new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /** Answers probes of taskId signed with secret for the next ttlMs. Throws RangeError on bad input. */
  allow(taskId: string, secret: string, ttlMs: number): void {
    this.grants.allow(taskId, secret, ttlMs);
  }

  /** Stops answering taskId at once, ending its transfers in progress. */
  revoke(taskId: string): void {
    this.grants.revoke(taskId);
    for (const sink of this.sinks) if (sink.grant?.taskId === taskId) sink.abort();
  }

  /** A copy of the counters, for the agent's self-metrics. */
  counters(): ResponderCounters {
    return { ...this.stats, udpDropped: { ...this.stats.udpDropped }, tcpRejected: { ...this.stats.tcpRejected } };
  }

  private bindUdp(host: string, port: number): Promise<UdpSocket> {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    socket.on('message', (datagram, peer) => {
      const receivedAtMs = this.clock();
      const outcome = answerDatagram(datagram, receivedAtMs, this.grants, this.clock, this.options.maxClockSkewMs ?? 15 * 60_000);
      if ('drop' in outcome) {
        this.stats.udpDropped[outcome.drop]++;
        return;
      }
      // Same layout both ways, so this holds by construction; checked because it is the anti-amplification rule.
      if (outcome.reply.length > datagram.length) return;
      this.stats.udpAnswered++;
      socket.send(outcome.reply, peer.port, peer.address);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind({ port, address: host, exclusive: true }, () => {
        socket.removeAllListeners('error');
        // A send error (e.g. ICMP from a vanished peer) concerns one datagram, not the responder.
        socket.on('error', () => {});
        resolve(socket);
      });
    });
  }

  private listenTcp(host: string, port: number): Promise<Server> {
    const limits = {
      maxClockSkewMs: this.options.maxClockSkewMs ?? 15 * 60_000,
      maxDurationMs: this.options.maxSinkDurationMs ?? 30_000,
      marginMs: this.options.sinkMarginMs ?? 1500,
      helloTimeoutMs: this.options.helloTimeoutMs ?? 2000,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 5000,
    };
    const server = createServer((socket) => {
      const source = sourceKey(socket.remoteAddress);
      const fromSource = this.perSource.get(source) ?? 0;
      // One peer cannot hold every slot: a cap per source before the cap in all.
      const refusal = fromSource >= (this.options.maxTcpPerSource ?? 4) ? 'source_limit' : this.connections.size >= (this.options.maxTcpConnections ?? 16) ? 'busy' : undefined;
      this.connections.add(socket);
      this.perSource.set(source, fromSource + 1);
      socket.on('close', () => {
        this.connections.delete(socket);
        const left = (this.perSource.get(source) ?? 1) - 1;
        if (left <= 0) this.perSource.delete(source);
        else this.perSource.set(source, left);
      });
      if (refusal) {
        this.stats.tcpRejected[refusal]++;
        socket.on('error', () => {});
        return rejectConnection(socket, refusal);
      }
      new SinkSession(socket, this.grants, this.clock, limits, {
        onReject: (reason) => this.stats.tcpRejected[reason]++,
        onAccepted: (sink) => {
          this.stats.tcpAccepted++;
          this.sinks.add(sink);
        },
        onBytes: (bytes) => (this.stats.tcpBytesReceived += bytes),
        onClose: (sink) => this.sinks.delete(sink),
      });
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }
}
