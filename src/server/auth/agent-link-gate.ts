import type { Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../../log.js';
import { encodeMessage } from '../../protocol/encode.js';
import { ProtocolErrors, type ProtocolErrorSpec } from '../../protocol/error-codes.js';
import type { ReloadingTlsFiles } from '../../net/tls-files.js';
import { certificateNames } from './certificate-names.js';
import { isPrivateAddress, plainAddress } from './private-address.js';

// Everything that happens on an agent connection before the protocol starts: TLS (told apart
// from a plaintext client by the first byte), the client certificate, and protected mode.
// Only a connection that passed all three reaches an AgentSession.

/** What the transport proved about the peer. */
export interface PeerInfo {
  address: string;
  /** The client certificate's Common Name and DNS names; undefined without client certificates. */
  certificateNames: string[] | undefined;
}

export interface AgentLinkGateOptions {
  /** undefined: plain TCP. */
  tls: ReloadingTlsFiles | undefined;
  /** Client certificates signed by the TLS files' CA are required (FLEETPULSE_TLS_CLIENT_CA). */
  clientCertificates: boolean;
  /** No authentication configured and FLEETPULSE_INSECURE unset: only private addresses. */
  protectedMode: boolean;
  /** Time for the first byte and the TLS handshake. */
  handshakeTimeoutMs: number;
  log: Logger;
  /** A refused connection, by its error's reason (counted in fleetpulse_bridge_frames_rejected_total). */
  onRefused(spec: ProtocolErrorSpec): void;
}

/** A TLS handshake record starts with content type 22. */
const TLS_HANDSHAKE = 0x16;

export type Admit = (socket: Socket, peer: PeerInfo) => void;

/** Returns the function that takes each raw TCP connection through the gate to `admit`. */
export function createAgentLinkGate(options: AgentLinkGateOptions, admit: Admit): (socket: Socket) => void {
  const { log } = options;
  const refuse = (socket: Socket, spec: ProtocolErrorSpec, message: string, address: string) => {
    options.onRefused(spec);
    log.warn('refused agent connection', { remote: address, code: spec.code, error: message });
    socket.on('error', () => {});
    socket.end(encodeMessage({ type: 'error', code: spec.code, message: `${message} (${spec.hint})`, fatal: true }));
    setTimeout(() => socket.destroy(), 2000).unref();
  };
  const admitIfAllowed = (socket: Socket, peer: PeerInfo) => {
    if (options.protectedMode && !isPrivateAddress(peer.address)) {
      return refuse(socket, ProtocolErrors.PROTECTED_MODE, `protected mode: ${peer.address} is not a loopback or private address`, peer.address);
    }
    admit(socket, peer);
  };

  const tlsFiles = options.tls;
  if (!tlsFiles) return (socket) => admitIfAllowed(socket, { address: plainAddress(socket.remoteAddress), certificateNames: undefined });

  // Never listens: raw sockets are handed to it after their first byte was seen.
  const server = createTlsServer({
    ...tlsFiles.current(),
    requestCert: options.clientCertificates,
    // Checked below instead, so the agent hears why in a protocol error rather than a bare TLS alert.
    rejectUnauthorized: false,
    handshakeTimeout: options.handshakeTimeoutMs,
  });
  let context = tlsFiles.current();
  server.on('secureConnection', (secure: TLSSocket) => {
    const address = plainAddress(secure.remoteAddress);
    if (options.clientCertificates && !secure.authorized) {
      const problem = clientCertificateProblem(secure);
      return refuse(secure, ProtocolErrors.CLIENT_CERT, problem, address);
    }
    admitIfAllowed(secure, { address, certificateNames: options.clientCertificates ? certificateNames(secure.getPeerCertificate()) : undefined });
  });
  // A failed handshake's socket is already closed; its address is kept from before.
  const addressOf = new WeakMap<Socket, string>();
  server.on('tlsClientError', (err: Error & { code?: string }, secure: TLSSocket) => {
    const raw = (secure as unknown as { _parent?: Socket })._parent;
    log.info('agent TLS handshake failed', { remote: (raw && addressOf.get(raw)) ?? 'unknown', error: err.message, code: err.code });
    secure.destroy();
  });

  return (socket) => {
    const address = plainAddress(socket.remoteAddress);
    socket.on('error', (err) => log.debug('socket error before handshake', { remote: address, error: err.message }));
    const timer = setTimeout(() => socket.destroy(), options.handshakeTimeoutMs);
    socket.once('data', (first: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      if (first[0] !== TLS_HANDSHAKE) {
        return refuse(socket, ProtocolErrors.TLS_REQUIRED, 'this bridge port speaks TLS only and the connection did not start a TLS handshake', address);
      }
      socket.unshift(first);
      const now = tlsFiles.current();
      if (now !== context) {
        context = now;
        server.setSecureContext(now);
      }
      addressOf.set(socket, address);
      server.emit('connection', socket);
    });
  };
}

/** Why a client certificate was not accepted, in words an operator can act on. */
function clientCertificateProblem(secure: TLSSocket): string {
  const cert = secure.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return 'the bridge requires a client certificate and the agent sent none';
  const code = String(secure.authorizationError ?? 'unknown');
  const subject = cert.subject?.CN ?? '(no CN)';
  if (code === 'CERT_HAS_EXPIRED') return `the agent certificate "${subject}" expired on ${cert.valid_to}`;
  if (code === 'CERT_NOT_YET_VALID') return `the agent certificate "${subject}" is not valid before ${cert.valid_from}`;
  return `the agent certificate "${subject}" is not signed by the bridge's client CA (${code})`;
}
