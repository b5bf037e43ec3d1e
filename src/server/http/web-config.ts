import { dirname, isAbsolute, join } from 'node:path';
import bcrypt from 'bcryptjs';
import { isMap, isScalar, LineCounter, parseDocument, type YAMLMap } from 'yaml';

// FLEETPULSE_WEB_CONFIG: the web configuration file of Prometheus' exporter-toolkit
// (web/tls_config.go), which node_exporter, Pushgateway and Prometheus read with
// --web.config.file. Same keys, same client_auth_type values, bcrypt passwords, paths relative
// to the file, unknown keys refused (as yaml.UnmarshalStrict does there).

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';

export interface WebTlsConfig {
  certFile: string | undefined;
  keyFile: string | undefined;
  /** Inline PEM (`cert`, `key`, `client_ca`), as the toolkit also allows. */
  cert: string | undefined;
  key: string | undefined;
  clientAuth: ClientAuthType;
  clientCaFile: string | undefined;
  clientCa: string | undefined;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Client certificates must carry one of these SANs (DNS, e-mail, IP or URI). */
  clientAllowedSans: string[] | undefined;
}

export interface WebConfig {
  /** undefined: plain HTTP (basic auth alone is allowed, as in the toolkit). */
  tls: WebTlsConfig | undefined;
  /** user -> bcrypt hash. */
  users: Map<string, string>;
  /** Extra response headers from http_server_config.headers. */
  headers: Record<string, string>;
}

import { WebConfigError } from './web-config-error.js';
export { WebConfigError };

const CLIENT_AUTH: Record<string, ClientAuthType> = {
  '': 'NoClientCert',
  NoClientCert: 'NoClientCert',
  RequestClientCert: 'RequestClientCert',
  RequireAnyClientCert: 'RequireAnyClientCert',
  // Kept by the toolkit for backwards compatibility.
  RequireClientCert: 'RequireAnyClientCert',
  VerifyClientCertIfGiven: 'VerifyClientCertIfGiven',
  RequireAndVerifyClientCert: 'RequireAndVerifyClientCert',
};

const TLS_VERSIONS: Record<string, 'TLSv1.2' | 'TLSv1.3'> = { TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** The headers the toolkit lets a user set, with their allowed values (none listed: any). */
const EXTRA_HEADERS: Record<string, string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

const KEYS = {
  top: ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'],
  tls: ['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'cipher_suites', 'curve_preferences', 'min_version', 'max_version', 'prefer_server_cipher_suites', 'client_allowed_sans'],
  http: ['http2', 'headers'],
};

/** Parses and checks a web-config file's text; paths are resolved against the file's directory. */
export function parseWebConfig(text: string, path: string): WebConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const fail = (message: string, node?: { range?: [number, number, number] | null | undefined }): never => {
    const at = node?.range ? ` line ${lines.linePos(node.range[0]).line}:` : '';
    throw new WebConfigError(`${path}:${at} ${message}`);
  };
  if (doc.errors.length > 0) fail(`not valid YAML: ${doc.errors[0]!.message}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { tls: undefined, users: new Map(), headers: {} };
  if (!isMap(root)) fail('the file must be a YAML mapping (tls_server_config, basic_auth_users, ...)', root);
  const top = section(root as YAMLMap, KEYS.top, '', fail);
  if (top.rate_limit !== undefined) fail('rate_limit is not supported by fleetpulse; remove it (the bridge caps connections with FLEETPULSE_HTTP_MAX_CONNECTIONS)', top.rate_limit.node);
  const dir = dirname(path);
  return {
    tls: top.tls_server_config ? parseTls(section(top.tls_server_config.node, KEYS.tls, 'tls_server_config', fail), dir, fail) : undefined,
    users: parseUsers(top.basic_auth_users?.node, fail),
    headers: parseHttp(top.http_server_config && section(top.http_server_config.node, KEYS.http, 'http_server_config', fail), fail),
  };
}

type Fail = (message: string, node?: { range?: [number, number, number] | null | undefined }) => never;
type Entry = { node: any; value: unknown };

/** The entries of a mapping, refusing unknown keys the way yaml.UnmarshalStrict does. */
function section(node: unknown, allowed: string[], name: string, fail: Fail): Record<string, Entry> {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return {};
  if (!isMap(node)) return fail(`${name} must be a mapping`, node as { range?: [number, number, number] });
  const out: Record<string, Entry> = {};
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!allowed.includes(key)) fail(`field ${key} not found in ${name || 'the web configuration'} (allowed: ${allowed.join(', ')})`, pair.key as { range?: [number, number, number] });
    const value = pair.value;
    out[key] = { node: value, value: isScalar(value) ? value.value : (value as { toJSON?: () => unknown } | null)?.toJSON?.() };
  }
  return out;
}

function str(entry: Entry | undefined, name: string, fail: Fail): string | undefined {
  if (entry === undefined || entry.value === null || entry.value === '') return undefined;
  if (typeof entry.value !== 'string') return fail(`${name} must be a string`, entry.node);
  return entry.value;
}

function parseTls(s: Record<string, Entry>, dir: string, fail: Fail): WebTlsConfig | undefined {
  const file = (key: string) => {
    const value = str(s[key], `tls_server_config.${key}`, fail);
    return value === undefined ? undefined : isAbsolute(value) ? value : join(dir, value);
  };
  const tls: WebTlsConfig = {
    certFile: file('cert_file'),
    keyFile: file('key_file'),
    cert: str(s.cert, 'tls_server_config.cert', fail),
    key: str(s.key, 'tls_server_config.key', fail),
    clientCaFile: file('client_ca_file'),
    clientCa: str(s.client_ca, 'tls_server_config.client_ca', fail),
    clientAuth: 'NoClientCert',
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    clientAllowedSans: undefined,
  };
  const rawAuth = str(s.client_auth_type, 'client_auth_type', fail) ?? '';
  const enabled = [tls.certFile, tls.keyFile, tls.cert, tls.key, tls.clientCaFile, tls.clientCa].some((v) => v !== undefined) || rawAuth !== '';
  // An empty tls_server_config means plain HTTP, as in the toolkit (errNoTLSConfig).
  if (!enabled) return undefined;
  if (tls.certFile === undefined && tls.cert === undefined) fail('tls_server_config: missing one of cert or cert_file');
  if (tls.keyFile === undefined && tls.key === undefined) fail('tls_server_config: missing one of key or key_file');
  const auth = CLIENT_AUTH[rawAuth];
  if (auth === undefined) fail(`invalid ClientAuth: ${rawAuth} (use NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)`, s.client_auth_type?.node);
  tls.clientAuth = auth!;
  const hasCa = tls.clientCaFile !== undefined || tls.clientCa !== undefined;
  if (hasCa && tls.clientAuth === 'NoClientCert') fail('client CA\'s have been configured without a Client Auth Policy (set client_auth_type, e.g. RequireAndVerifyClientCert)', s.client_ca_file?.node ?? s.client_ca?.node);
  if (!hasCa && (tls.clientAuth === 'VerifyClientCertIfGiven' || tls.clientAuth === 'RequireAndVerifyClientCert')) {
    fail(`client_auth_type ${tls.clientAuth} needs client_ca_file: the CA that signs the client certificates`, s.client_auth_type?.node);
  }
  for (const key of ['min_version', 'max_version'] as const) {
    const raw = str(s[key], key, fail);
    if (raw === undefined) continue;
    const version = TLS_VERSIONS[raw];
    if (version === undefined) fail(`unknown TLS version: ${raw} (fleetpulse serves TLS12 and TLS13)`, s[key]!.node);
    tls[key === 'min_version' ? 'minVersion' : 'maxVersion'] = version!;
  }
  if (tls.minVersion === 'TLSv1.3' && tls.maxVersion === 'TLSv1.2') fail('min_version TLS13 is above max_version TLS12');
  const sans = s.client_allowed_sans?.value;
  if (sans !== undefined && sans !== null) {
    if (!Array.isArray(sans) || sans.some((v) => typeof v !== 'string')) fail('client_allowed_sans must be a list of strings', s.client_allowed_sans!.node);
    if (tls.clientAuth !== 'RequireAnyClientCert' && tls.clientAuth !== 'RequireAndVerifyClientCert') {
      fail('client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert', s.client_allowed_sans!.node);
    }
    tls.clientAllowedSans = sans as string[];
  }
  return tls;
}

function parseUsers(node: unknown, fail: Fail): Map<string, string> {
  const users = new Map<string, string>();
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return users;
  if (!isMap(node)) return fail('basic_auth_users must be a mapping of user names to bcrypt hashes', node as { range?: [number, number, number] });
  for (const pair of node.items) {
    const user = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const hash = isScalar(pair.value) ? pair.value.value : undefined;
    if (typeof hash !== 'string' || !/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
      fail(`basic_auth_users: the password of "${user}" is not a bcrypt hash; store the hash, not the password (htpasswd -nBC 10 "" | tr -d ':\\n', or fleetpulse certs web-config)`, pair.value as { range?: [number, number, number] });
    }
    if (bcrypt.getRounds(hash as string) > 14) fail(`basic_auth_users: the hash of "${user}" has cost ${bcrypt.getRounds(hash as string)}; every request would spend seconds checking it, use 10 to 12`, pair.value as { range?: [number, number, number] });
    users.set(user, hash as string);
  }
  return users;
}

function parseHttp(s: Record<string, Entry> | undefined, fail: Fail): Record<string, string> {
  if (!s) return {};
  if (s.http2 !== undefined && typeof s.http2.value !== 'boolean') fail('http_server_config.http2 must be true or false', s.http2.node);
  const headers: Record<string, string> = {};
  const raw = s.headers?.value;
  if (raw === undefined || raw === null) return headers;
  if (typeof raw !== 'object' || Array.isArray(raw)) return fail('http_server_config.headers must be a mapping', s.headers!.node);
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(name in EXTRA_HEADERS)) fail(`HTTP header "${name}" can not be configured`, s.headers!.node);
    const allowed = EXTRA_HEADERS[name];
    if (typeof value !== 'string' || (allowed && !allowed.includes(value))) fail(`invalid value for ${name}. Expected one of: ${JSON.stringify(allowed)}, but got: ${JSON.stringify(value)}`, s.headers!.node);
    headers[name] = value as string;
  }
  return headers;
}
