import { createServer, type Server, type Socket } from 'node:net';
import { encodeMessage } from '../../protocol/encode.js';
import { ProtocolErrors, protocolError, type ProtocolErrorSpec } from '../../protocol/error-codes.js';
import { Networks } from '../../net/address-policy.js';
import { listenDualStack } from '../../net/listen.js';
import { sourceKey } from '../../net/source-key.js';
import type { BridgeOptions } from '../options.js';
import type { SelfMetrics } from '../own-metrics/self-metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import type { TaskResultMessage } from '../../protocol/messages.js';
import { AgentSession, type SessionDeps } from './agent-session.js';
import { AuthThrottle } from './auth-throttle.js';
import { RefusalLog } from './refusal-log.js';
import { HandshakePool } from './handshake-pool.js';
import { createAgentLinkSecurity, type AgentLinkSecurity } from '../auth/agent-link-security.js';
import type { PeerInfo } from '../auth/agent-link-gate.js';

/**
 * Accepts agent connections, one AgentSession each; the newest session of an agent id wins.
 * From the TCP accept until its hello is accepted (TLS handshake included), a connection lives
 * in a small pool of its own, capped per source, so strangers never take an agent's place;
 * sources that keep failing authentication are refused at connect for a while.
 */
export class TcpListener {
  private readonly server: Server;
  private readonly sessions = new Set<AgentSession>();
  private readonly byAgent = new Map<string, AgentSession>();
  readonly security: AgentLinkSecurity;
  /** Connections in the handshake pool by remote address and port (the same on a TLS socket). */
  private readonly handshaking = new Map<string, string>();
  private readonly handshakes: HandshakePool;
  private readonly authThrottle: AuthThrottle;
  private readonly refusals: RefusalLog;
  private readonly probeNetworks: Networks;

  constructor(
    private readonly store: AgentStore,
    private readonly metrics: SelfMetrics,
    private readonly options: BridgeOptions,
    private readonly onTaskResult?: (agentId: string, message: TaskResultMessage) => void,
    /** remote_write, when on: sessions ack a batch once it has it (see AgentSession). */
    private readonly history?: SessionDeps['history'],
  ) {
    this.handshakes = new HandshakePool(options.maxHandshakes, options.maxHandshakesPerSource);
    this.authThrottle = new AuthThrottle(options.authFailuresPerMinute, options.log);
    this.refusals = new RefusalLog(options.log);
    this.probeNetworks = new Networks(options.probeNetworks ?? []);
    this.security = createAgentLinkSecurity(options, (spec) => {
      this.metrics.connectionsRefused.inc();
      this.metrics.framesRejected.inc({ reason: spec.reason });
    });
    const gate = this.security.gate((socket, peer) => this.accept(socket, peer));
    this.server = createServer((socket) => this.admit(socket, gate));
  }

  /** The live, helloed session of an agent, if it is connected. */
  session(agentId: string): AgentSession | undefined {
    return this.byAgent.get(agentId);
  }

  /** Listens on the ingest port; resolves with the address bound (`::` may fall back to 0.0.0.0). */
  listen(): Promise<{ host: string; port: number }> {
    return listenDualStack(this.server, this.options.ingestPort, this.options.bindHost);
  }

  /** Stops accepting, tells every agent why, and waits for the sockets to close. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of [...this.sessions]) {
      session.fail(protocolError('SHUTTING_DOWN', 'the bridge is shutting down'));
    }
    await closed;
    this.refusals.close();
  }

  /** Before anything is read: rate limit and handshake pool, then the security gate. */
  private admit(socket: Socket, gate: (socket: Socket) => void): void {
    this.metrics.connectionsAccepted.inc();
    const source = sourceKey(socket.remoteAddress);
    if (this.authThrottle.limited(source)) {
      return this.refuse(socket, ProtocolErrors.AUTH_RATE_LIMITED, `${source} failed authentication ${this.options.authFailuresPerMinute} times within a minute`);
    }
    const place = this.handshakes.enter(source);
    if (!place.ok) return this.refuse(socket, ProtocolErrors.TOO_MANY_HANDSHAKES, place.why);
    const key = connectionKey(socket);
    this.handshaking.set(key, source);
    this.metrics.handshakesOpen.set(this.handshakes.size);
    socket.once('close', () => this.endHandshake(key));
    gate(socket);
  }

  private accept(socket: Socket, peer: PeerInfo): void {
    const key = connectionKey(socket);
    const source = sourceKey(socket.remoteAddress);
    const session = new AgentSession(socket, {
      store: this.store,
      metrics: this.metrics,
      options: this.options,
      refusals: this.refusals,
      ...(this.onTaskResult ? { onTaskResult: this.onTaskResult } : {}),
      history: this.history,
      probeNetworks: this.probeNetworks,
      authenticate: (agentId, token) => {
        try {
          return this.security.authenticate(agentId, token, peer);
        } catch (err) {
          this.authThrottle.failed(source, (err as Error).message);
          throw err;
        }
      },
      checkTakeover: (agentId, proof) => this.security.checkTakeover(agentId, this.byAgent.get(agentId)?.proof, proof),
      claim: (agentId, claimant) => {
        const older = this.byAgent.get(agentId);
        if (older && this.isIdConflict(older, claimant)) this.refuseIdConflict(agentId, older, claimant);
        if (older === undefined && this.byAgent.size >= this.options.maxConnections) {
          throw protocolError('TOO_MANY_CONNECTIONS', `the bridge accepts at most ${this.options.maxConnections} agents at once`);
        }
        this.endHandshake(key);
        this.byAgent.set(agentId, claimant);
        older?.fail(protocolError('REPLACED', `a newer connection from ${claimant.address} took over agent id "${agentId}"`));
      },
      release: (ended) => {
        this.endHandshake(key);
        this.sessions.delete(ended);
        if (ended.agentId !== undefined && this.byAgent.get(ended.agentId) === ended) this.byAgent.delete(ended.agentId);
        this.metrics.connectionsOpen.set(this.sessions.size);
      },
    });
    this.sessions.add(session);
    this.metrics.connectionsOpen.set(this.sessions.size);
  }

  /**
   * A second agent process claiming a live agent's id: both sent run ids, they differ, and the
   * holder was heard within two heartbeats. A reconnect of the same process (same run id), an
   * agent without run ids, or a holder gone silent is a takeover, as before.
   */
  private isIdConflict(holder: AgentSession, claimant: AgentSession): boolean {
    return holder.runId !== undefined && claimant.runId !== undefined && holder.runId !== claimant.runId && holder.heardWithin(2 * this.options.heartbeatMs);
  }

  /** The holder keeps the id and its data stays its own; the claimant is refused, loudly once. */
  private refuseIdConflict(agentId: string, holder: AgentSession, claimant: AgentSession): never {
    const starts = this.store.noteIdConflict(agentId, claimant.address);
    this.options.log[starts ? 'error' : 'debug']('agent id claimed by a second agent while the first is connected; refusing the second (FP_ID_CONFLICT)', {
      agent: agentId,
      connected_from: holder.address,
      refused_from: claimant.address,
      hint: 'two hosts share this FLEETPULSE_AGENT_ID (or hostname); give each its own. /api/agents and fleetpulse_agent_id_conflict show it until it stops',
    });
    throw protocolError('ID_CONFLICT', `agent id "${agentId}" is held by a connected agent at ${holder.address}; this connection from ${claimant.address} is refused`);
  }

  private endHandshake(key: string): void {
    const source = this.handshaking.get(key);
    if (source === undefined) return;
    this.handshaking.delete(key);
    this.handshakes.leave(source);
    this.metrics.handshakesOpen.set(this.handshakes.size);
  }

  /** Tells a peer why it is not let in, without reading anything from it, and closes. */
  private refuse(socket: Socket, spec: ProtocolErrorSpec, why: string): void {
    this.metrics.connectionsRefused.inc();
    this.metrics.framesRejected.inc({ reason: spec.reason });
    // Debug only: a flood must not become a flood of log lines; the metric counts it.
    this.options.log.debug('refusing connection', { remote: socket.remoteAddress, code: spec.code, why });
    socket.on('error', () => {});
    socket.end(encodeMessage({ type: 'error', code: spec.code, message: `${why} (${spec.hint})`, fatal: true }));
    setTimeout(() => socket.destroy(), 2000).unref();
  }
}

/** Remote address and port: one live TCP connection, whether seen raw or through TLS. */
function connectionKey(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}
