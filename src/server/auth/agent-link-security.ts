import type { Socket } from 'node:net';
import { certificateExpiry, ReloadingTlsFiles } from '../../net/tls-files.js';
import { protocolError, type ProtocolErrorSpec } from '../../protocol/error-codes.js';
import type { BridgeOptions } from '../options.js';
import { createAgentLinkGate, type Admit, type PeerInfo } from './agent-link-gate.js';
import { authenticateAgent, mayReplace, type Proof } from './agent-authenticator.js';
import { AgentTokensFile } from './agent-tokens-file.js';

/** Who may speak on the agent link, put together from the bridge's options (docs/security.md). */
export interface AgentLinkSecurity {
  /** Takes each raw connection through TLS, client certificates and protected mode. */
  gate(admit: Admit): (socket: Socket) => void;
  /** Checks a hello's credentials against the peer; throws a fatal ProtocolError. */
  authenticate(agentId: string, token: string | undefined, peer: PeerInfo): Proof;
  /** Throws FP_ID_IN_USE when the id is held by a session with stronger proof. */
  checkTakeover(agentId: string, held: Proof | undefined, newer: Proof): void;
  /** One line for the start-up log. */
  readonly summary: string;
  readonly protectedMode: boolean;
}

export function createAgentLinkSecurity(options: BridgeOptions, onRefused: (spec: ProtocolErrorSpec) => void): AgentLinkSecurity {
  const { log } = options;
  const tlsSettings = options.agentTls;
  const tls = tlsSettings && new ReloadingTlsFiles(
    {
      cert: { path: tlsSettings.cert, setting: 'FLEETPULSE_TLS_CERT' },
      key: { path: tlsSettings.key, setting: 'FLEETPULSE_TLS_KEY' },
      ca: tlsSettings.clientCa === undefined ? undefined : { path: tlsSettings.clientCa, setting: 'FLEETPULSE_TLS_CLIENT_CA' },
    },
    {
      reloaded: () => log.info('agent port TLS files changed; new connections use them', { cert: tlsSettings.cert }),
      failed: (err) => log.error('agent port TLS files changed but cannot be used; keeping the previous ones', { error: err.message }),
    },
  );
  if (tls && tlsSettings) {
    const expiry = certificateExpiry(tls.current().cert as Buffer);
    if (expiry && expiry.getTime() < Date.now()) log.warn('the agent port certificate has expired; agents will refuse it', { cert: tlsSettings.cert, expired: expiry.toISOString() });
  }
  const tokensFile = options.agentTokensFile === undefined ? undefined : new AgentTokensFile(options.agentTokensFile, {
    reloaded: (count) => log.info('agent tokens file changed; reloaded', { path: options.agentTokensFile, entries: count }),
    failed: (err) => log.error('agent tokens file changed but cannot be used; keeping the previous entries', { error: err.message }),
  });
  const clientCertificates = tlsSettings?.clientCa !== undefined;
  const authenticated = clientCertificates || tokensFile !== undefined || options.token !== undefined;
  const protectedMode = !authenticated && options.insecure !== true;
  const summary = [
    tls ? (clientCertificates ? 'mutual TLS (agent id bound to the client certificate)' : 'TLS') : 'plain TCP',
    tokensFile ? 'per-agent tokens file' : undefined,
    options.token !== undefined ? 'shared token' : undefined,
    protectedMode ? 'protected mode (no authentication: loopback and private addresses only)' : undefined,
    !authenticated && !protectedMode ? 'no authentication (FLEETPULSE_INSECURE=true)' : undefined,
  ].filter((s) => s !== undefined).join(', ');
  const authOptions = { sharedToken: options.token, tokensFile, clientCertificates };
  return {
    gate: (admit) => createAgentLinkGate({ tls, clientCertificates, protectedMode, handshakeTimeoutMs: options.helloTimeoutMs, log, onRefused }, admit),
    authenticate: (agentId, token, peer) => authenticateAgent(authOptions, agentId, token, peer),
    checkTakeover(agentId, held, newer) {
      if (held !== undefined && !mayReplace(held, newer)) {
        throw protocolError('ID_IN_USE', `agent id "${agentId}" is held by a connection that proved it with a ${held === 'certificate' ? 'certificate' : 'per-agent token'}; this hello proved less`);
      }
    },
    summary,
    protectedMode,
  };
}
