import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Logger } from '../../log.js';
import { loadTlsFiles, TlsFileError } from '../../net/tls-files.js';
import { BasicAuth } from './basic-auth.js';
import { guardPlainHttp } from './plain-http-guard.js';
import { sendError } from './json-envelope.js';
import { parseWebConfig, WebConfigError, type WebConfig, type WebTlsConfig } from './web-config.js';

// What stands in front of every HTTP route: TLS and basic auth from FLEETPULSE_WEB_CONFIG
// (re-read when it or its certificates change, like exporter-toolkit on each connection), the
// Host allowlist against DNS rebinding, and the connection and header-time limits.

export interface HttpFrontOptions {
  webConfigPath: string | undefined;
  /** Host names (no port) requests may name; undefined: any. */
  allowedHosts: string[] | undefined;
  maxConnections: number;
  log: Logger;
}

/** Slow or absent headers end the connection after this long (Node's default is a minute). */
export const HEADERS_TIMEOUT_MS = 10_000;

/** Health probes carry no credentials and reveal nothing; they stay open (still over TLS). */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

function readConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WebConfigError(`FLEETPULSE_WEB_CONFIG=${path} cannot be read: ${(err as Error).message}`);
  }
  const config = parseWebConfig(text, path);
  if (config.tls) tlsOptions(config.tls);
  return config;
}

/** Node's options for a web-config TLS section; reads the files (TlsFileError names them). */
function tlsOptions(tls: WebTlsConfig): SecureContextOptions {
  const files = loadTlsFiles({
    cert: tls.certFile === undefined ? undefined : { path: tls.certFile, setting: 'tls_server_config.cert_file' },
    key: tls.keyFile === undefined ? undefined : { path: tls.keyFile, setting: 'tls_server_config.key_file' },
    ca: tls.clientCaFile === undefined ? undefined : { path: tls.clientCaFile, setting: 'tls_server_config.client_ca_file' },
  });
  return {
    cert: files.cert ?? tls.cert,
    key: files.key ?? tls.key,
    ...(files.ca ?? tls.clientCa ? { ca: files.ca ?? tls.clientCa } : {}),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
  };
}

function stamp(paths: (string | undefined)[]): string {
  return paths
    .map((p) => {
      if (p === undefined) return '-';
      try {
        const s = statSync(p);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

const filesOf = (path: string, c: WebConfig) => [path, c.tls?.certFile, c.tls?.keyFile, c.tls?.clientCaFile];

export class HttpFront {
  private config: WebConfig;
  private stamp = '';
  private failedStamp: string | undefined;
  private readonly auth = new BasicAuth();
  private readonly allowedHosts: Set<string> | undefined;

  /** Throws WebConfigError or TlsFileError when the file cannot be used at start. */
  constructor(private readonly options: HttpFrontOptions) {
    const path = options.webConfigPath;
    this.config = path === undefined ? { tls: undefined, users: new Map(), headers: {} } : readConfig(path);
    if (path !== undefined) this.stamp = stamp(filesOf(path, this.config));
    this.allowedHosts = options.allowedHosts && new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  }

  /** True when the HTTP port speaks TLS only. */
  get tls(): boolean {
    return this.config.tls !== undefined;
  }

  get basicAuth(): boolean {
    return this.config.users.size > 0;
  }

  /** The HTTP or HTTPS server for `handler`, with the front's checks before it. */
  createServer(handler: RequestListener): Server {
    const guarded: RequestListener = (req, res) => {
      void this.admit(req, res).then((ok) => ok && handler(req, res), (err: Error) => {
        this.options.log.error('http front failed', { error: err.message });
        if (!res.headersSent) sendError(res, 500, 'internal', err.message);
      });
    };
    const limits = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 60_000, connectionsCheckingInterval: 1000 };
    const tls = this.config.tls;
    let server: Server;
    if (tls) {
      const auth = tls.clientAuth;
      const https = createHttps({ ...limits, ...tlsOptions(tls), requestCert: auth !== 'NoClientCert', rejectUnauthorized: auth === 'RequireAndVerifyClientCert' }, guarded);
      // Before the TLS layer takes the socket: newer certificates for this very connection.
      guardPlainHttp(https, () => this.refresh(https), HEADERS_TIMEOUT_MS);
      server = https;
      server.prependListener('secureConnection', (socket: TLSSocket) => this.checkClient(socket));
    } else {
      server = createHttp(limits, guarded);
      server.prependListener('connection', () => this.refresh(undefined));
    }
    server.maxConnections = this.options.maxConnections;
    return server;
  }

  /** Re-reads the web-config and its files when any of them changed; a bad edit keeps the old. */
  private refresh(server: Server | undefined): void {
    const path = this.options.webConfigPath;
    if (path === undefined) return;
    const now = stamp(filesOf(path, this.config));
    if (now === this.stamp || now === this.failedStamp) return;
    try {
      const next = readConfig(path);
      if ((next.tls === undefined) !== (this.config.tls === undefined) || next.tls?.clientAuth !== this.config.tls?.clientAuth) {
        throw new WebConfigError(`${path}: turning TLS on or off or changing client_auth_type needs a restart of the bridge`);
      }
      if (next.tls && server) (server as unknown as { setSecureContext(o: SecureContextOptions): void }).setSecureContext(tlsOptions(next.tls));
      this.config = next;
      this.stamp = stamp(filesOf(path, next));
      this.failedStamp = undefined;
      this.options.log.info('web config reloaded', { path, users: next.users.size });
    } catch (err) {
      this.failedStamp = now;
      if (!(err instanceof WebConfigError || err instanceof TlsFileError)) throw err;
      this.options.log.error('web config changed but cannot be used; keeping the previous one', { error: err.message });
    }
  }

  /** client_auth_type rules Node's own options do not express, and client_allowed_sans. */
  private checkClient(socket: TLSSocket): void {
    const tls = this.config.tls;
    if (!tls || tls.clientAuth === 'NoClientCert' || tls.clientAuth === 'RequestClientCert') return;
    const cert = socket.getPeerCertificate();
    const given = cert !== null && Object.keys(cert).length > 0;
    const refuse = (why: string) => {
      this.options.log.info('refused HTTPS client certificate', { remote: (socket as Socket).remoteAddress, error: why });
      socket.destroy();
    };
    if (!given && tls.clientAuth === 'RequireAnyClientCert') return refuse('no client certificate');
    if (given && tls.clientAuth === 'VerifyClientCertIfGiven' && !socket.authorized) return refuse(String(socket.authorizationError));
    if (tls.clientAllowedSans && given) {
      const sans = (cert.subjectaltname ?? '').split(', ').map((e) => e.replace(/^(DNS|email|IP Address|URI):/, ''));
      if (!sans.some((s) => tls.clientAllowedSans!.includes(s))) return refuse(`could not find allowed SANs in client cert, found: ${sans.join(', ')}`);
    }
  }

  /** Host allowlist and basic auth; false when it answered the request itself. */
  private async admit(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    for (const [name, value] of Object.entries(this.config.headers)) res.setHeader(name, value);
    const path = (req.url ?? '/').split('?')[0]!;
    if (OPEN_PATHS.has(path)) return true;
    if (this.allowedHosts) {
      const host = hostOf(req.headers.host);
      if (host === undefined || !this.allowedHosts.has(host)) {
        sendError(res, 421, 'misdirected_request', `host ${JSON.stringify(req.headers.host ?? '')} is not one this bridge serves; add it to FLEETPULSE_HTTP_ALLOWED_HOSTS`);
        return false;
      }
    }
    if (this.config.users.size > 0 && !(await this.auth.check(req, this.config.users))) {
      res.setHeader('www-authenticate', 'Basic realm="fleetpulse"');
      sendError(res, 401, 'unauthorized', 'this bridge requires basic auth (FLEETPULSE_WEB_CONFIG basic_auth_users)');
      return false;
    }
    return true;
  }
}

/** The host name of a Host header, lower case, without port or IPv6 brackets. */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d+)?$/.exec(header.trim());
  return m ? (m[1] ?? m[2])!.toLowerCase() : undefined;
}
