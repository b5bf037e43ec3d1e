import { createServer, type Server, type Socket } from 'node:net';
import { encodeMessage } from '../../protocol/encode.js';
import { ProtocolErrors, protocolError } from '../../protocol/error-codes.js';
import type { BridgeOptions } from '../options.js';
import type { SelfMetrics } from '../self-metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import type { TaskResultMessage } from '../../protocol/messages.js';
import { AgentSession } from './agent-session.js';
import { createAgentLinkSecurity, type AgentLinkSecurity } from '../auth/agent-link-security.js';
import type { PeerInfo } from '../auth/agent-link-gate.js';

/** Accepts agent connections, one AgentSession each; the newest session of an agent id wins. */
export class TcpListener {
  private readonly server: Server;
  private readonly sessions = new Set<AgentSession>();
  private readonly byAgent = new Map<string, AgentSession>();
  readonly security: AgentLinkSecurity;

  constructor(
    private readonly store: AgentStore,
    private readonly metrics: SelfMetrics,
    private readonly options: BridgeOptions,
    private readonly onTaskResult?: (agentId: string, message: TaskResultMessage) => void,
  ) {
    this.security = createAgentLinkSecurity(options, (spec) => {
      this.metrics.connectionsRefused.inc();
      this.metrics.framesRejected.inc({ reason: spec.reason });
    });
    this.server = createServer(this.security.gate((socket, peer) => this.accept(socket, peer)));
  }

  /** The live, helloed session of an agent, if it is connected. */
  session(agentId: string): AgentSession | undefined {
    return this.byAgent.get(agentId);
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.ingestPort, this.options.bindHost, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  /** Stops accepting, tells every agent why, and waits for the sockets to close. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of [...this.sessions]) {
      session.fail(protocolError('SHUTTING_DOWN', 'the bridge is shutting down'));
    }
    await closed;
  }

  private accept(socket: Socket, peer: PeerInfo): void {
    this.metrics.connectionsAccepted.inc();
    if (this.sessions.size >= this.options.maxConnections) {
      const spec = ProtocolErrors.TOO_MANY_CONNECTIONS;
      this.metrics.connectionsRefused.inc();
      this.metrics.framesRejected.inc({ reason: spec.reason });
      this.options.log.warn('refusing connection over the limit', { remote: socket.remoteAddress, limit: this.options.maxConnections, hint: spec.hint });
      socket.on('error', () => {});
      socket.end(encodeMessage({ type: 'error', code: spec.code, message: `the bridge accepts at most ${this.options.maxConnections} connections (${spec.hint})`, fatal: true }));
      setTimeout(() => socket.destroy(), 2000).unref();
      return;
    }
    const session = new AgentSession(socket, {
      store: this.store,
      metrics: this.metrics,
      options: this.options,
      ...(this.onTaskResult ? { onTaskResult: this.onTaskResult } : {}),
      authenticate: (agentId, token) => this.security.authenticate(agentId, token, peer),
      checkTakeover: (agentId, proof) => this.security.checkTakeover(agentId, this.byAgent.get(agentId)?.proof, proof),
      claim: (agentId, claimant) => {
        const older = this.byAgent.get(agentId);
        this.byAgent.set(agentId, claimant);
        older?.fail(protocolError('REPLACED', `a newer connection from ${claimant.address} took over agent id "${agentId}"`));
      },
      release: (ended) => {
        this.sessions.delete(ended);
        if (ended.agentId !== undefined && this.byAgent.get(ended.agentId) === ended) this.byAgent.delete(ended.agentId);
        this.metrics.connectionsOpen.set(this.sessions.size);
      },
    });
    this.sessions.add(session);
    this.metrics.connectionsOpen.set(this.sessions.size);
  }
}
