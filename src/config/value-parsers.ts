// Parsers for setting values. Each throws a ConfigValueError whose message completes
// `<SETTING>="<value>" ...`, e.g. `is not a duration; use e.g. 5s, 500ms`.

import { isIP } from 'node:net';
import { parseCidr } from '../net/address-policy.js';
import { LABEL_NAME_RE, staticLabelsProblem } from '../protocol/names.js';

export class ConfigValueError extends Error {}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Prometheus-style durations: 500ms, 5s, 1m30s, 24h. Returns milliseconds. */
export function parseDuration(raw: string): number {
  const text = raw.trim();
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let consumed = 0;
  for (let m = DURATION_PART.exec(text); m; m = DURATION_PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = DURATION_PART.lastIndex;
  }
  if (text === '' || consumed !== text.length) throw new ConfigValueError('is not a duration; use e.g. 5s, 500ms, 1m30s');
  return Math.round(total);
}

export function durationBetween(minMs: number, maxMs: number, hint: string) {
  return (raw: string): number => {
    const ms = parseDuration(raw);
    if (ms < minMs || ms > maxMs) throw new ConfigValueError(`is out of range; ${hint}`);
    return ms;
  };
}

export function parsePort(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigValueError('is not a port number; use 1-65535 (0 picks a free port)');
  const port = Number(raw);
  if (port > 65535) throw new ConfigValueError('is not a port number; use 1-65535 (0 picks a free port)');
  return port;
}

export function positiveInteger(max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > max) {
      throw new ConfigValueError(`is not a whole number from 1 to ${max}`);
    }
    return Number(raw);
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2 };

/** Byte sizes: 1048576, 512KiB, 1MiB. */
export function byteSizeBetween(min: number, max: number) {
  return (raw: string): number => {
    const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(raw.trim());
    const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined) throw new ConfigValueError('is not a size; use e.g. 1MiB, 512KiB or a number of bytes');
    const bytes = Number(m[1]) * unit;
    if (bytes < min || bytes > max) throw new ConfigValueError(`is out of range; use ${min} bytes to ${max / 1024 ** 2} MiB`);
    return bytes;
  };
}

/** host:port, [v6]:port; the port is required. */
export function parseHostPort(raw: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(raw.trim());
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw new ConfigValueError('is not host:port; use e.g. bridge.example.com:9700 or 10.0.0.5:9700');
  return { host: (m[1] ?? m[2])!, port };
}

/** Bridges the agent may use, comma-separated host:port, in order of preference. */
export function parseHostPortList(raw: string): { host: string; port: number }[] {
  const entries = raw.split(',').map((e) => e.trim());
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const where = entries.length > 1 ? `entry ${i + 1} of ${entries.length} (${JSON.stringify(entry)})` : JSON.stringify(entry);
    if (entry === '') throw new ConfigValueError(`has an empty ${where}; list bridges as host:port,host:port`);
    let address: { host: string; port: number };
    try {
      address = parseHostPort(entry);
    } catch {
      throw new ConfigValueError(`${where} is not host:port; use e.g. bridge-a.example.com:9700,bridge-b.example.com:9700`);
    }
    const key = `${address.host}:${address.port}`;
    if (seen.has(key)) throw new ConfigValueError(`lists ${key} twice`);
    seen.add(key);
    return address;
  });
}

export function parseHost(raw: string): string {
  const host = raw.trim();
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ConfigValueError('is not an address to bind; use e.g. 0.0.0.0, 127.0.0.1 or ::');
  return host;
}

/** k=v,k=v static labels. */
export function parseLabels(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (raw.trim() === '') return labels;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    if (eq < 1 || !LABEL_NAME_RE.test(name) || name.startsWith('__')) {
      throw new ConfigValueError(`is not a list of labels; use k=v,k=v with names like env or rack_1 (bad part: "${pair}")`);
    }
    if (name in labels) throw new ConfigValueError(`sets label "${name}" twice`);
    labels[name] = pair.slice(eq + 1).trim();
  }
  // The bridge applies the same rules; failing here beats being refused on every reconnect.
  const problem = staticLabelsProblem(labels);
  if (problem !== undefined) throw new ConfigValueError(`is not usable: ${problem}`);
  return labels;
}

export function oneOf<T extends string>(allowed: readonly T[]) {
  return (raw: string): T => {
    const value = raw.trim().toLowerCase() as T;
    if (!allowed.includes(value)) throw new ConfigValueError(`is not allowed; use one of ${allowed.join(', ')}`);
    return value;
  };
}

/**
 * A comma-separated subset of `allowed`. An entry named in `groups` stands for its members
 * (e.g. "default"); repeats are kept once, in the order first named.
 */
export function listOf<T extends string>(allowed: readonly T[], groups: Record<string, readonly T[]> = {}) {
  return (raw: string): T[] => {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((item) => !allowed.includes(item as T) && !Object.hasOwn(groups, item));
    const names = [...allowed, ...Object.keys(groups)];
    if (items.length === 0 || bad.length > 0) throw new ConfigValueError(`names unknown entries (${bad.join(', ') || 'none given'}); use a comma-separated subset of ${names.join(', ')}`);
    return [...new Set(items.flatMap((item) => (Object.hasOwn(groups, item) ? groups[item]! : [item as T])))];
  };
}

/** An absolute http(s) URL, returned without a trailing slash so paths can be appended. */
export function parseHttpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigValueError('is not a URL; use e.g. http://prometheus.example.com:9090');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigValueError('is not an http(s) URL; use e.g. http://grafana.example.com:3000');
  return url.href.replace(/\/+$/, '');
}

/** Remote_write endpoints, comma-separated http(s) URLs without credentials in them. */
export function parseRemoteWriteUrls(raw: string): string[] {
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw new ConfigValueError('has no URL; use e.g. http://victoria-metrics:8428/api/v1/write');
  const seen = new Set<string>();
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigValueError(`has ${JSON.stringify(entry)}, which is not a URL; use e.g. http://victoria-metrics:8428/api/v1/write`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigValueError(`has ${JSON.stringify(entry)}, which is not an http(s) URL`);
    if (url.username !== '' || url.password !== '') throw new ConfigValueError('has credentials in a URL, where logs and metrics would show them; use FLEETPULSE_REMOTE_WRITE_USERNAME and FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE');
    if (seen.has(url.href)) throw new ConfigValueError(`lists ${url.href} twice`);
    seen.add(url.href);
    return url.href;
  });
}

/** Headers the remote_write protocol or our credentials settings set; a user header may not replace them. */
const RESERVED_HEADERS = new Set(['authorization', 'content-encoding', 'content-length', 'content-type', 'host', 'user-agent', 'connection', 'transfer-encoding']);

/** Extra HTTP headers `Name=value,Name=value` (e.g. a tenant: X-Scope-OrgID=team-a). */
export function parseHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw.trim() === '') return headers;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq === -1 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new ConfigValueError(`has ${JSON.stringify(pair.trim())}, which is not Name=value; use e.g. X-Scope-OrgID=team-a`);
    if (/[\r\n\0]/.test(value)) throw new ConfigValueError(`has a line break in the value of ${name}`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-prometheus-remote-write-')) throw new ConfigValueError(`sets ${name}, which the remote_write protocol or the credentials settings set; remove it`);
    headers[name] = value;
  }
  return headers;
}

/** on/off (also true/false, yes/no, 1/0). */
export function parseOnOff(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(value)) return true;
  if (['off', 'false', 'no', '0'].includes(value)) return false;
  throw new ConfigValueError('is not on or off');
}

/** An IP address literal to bind, v4 or v6. */
export function parseIpAddress(raw: string): string {
  const ip = raw.trim();
  if (isIP(ip) === 0) throw new ConfigValueError('is not an IP address; use e.g. ::, 0.0.0.0 or 10.0.0.5');
  return ip;
}

/** host, host:port or [v6]:port; the port may be left out. */
export function parseHostOptionalPort(raw: string): { host: string; port: number | undefined } {
  const text = raw.trim();
  if (isIP(text) === 6) return { host: text, port: undefined };
  const m = /^(?:\[([^\]]+)\]|([A-Za-z0-9._-]+))(?::(\d+))?$/.exec(text);
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || (port !== undefined && (port < 1 || port > 65535)) || (m[1] !== undefined && isIP(m[1]) !== 6)) {
    throw new ConfigValueError('is not a host or host:port; use e.g. 10.0.0.5, probe.example.com:9702 or [2001:db8::5]:9702');
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** A secret sent as an HTTP bearer token: visible ASCII, no spaces. */
export function parseBearerToken(raw: string): string {
  if (!/^[\x21-\x7e]+$/.test(raw)) throw new ConfigValueError('is not usable as a bearer token; use visible ASCII characters without spaces');
  return raw;
}

export function nonEmpty(raw: string): string {
  if (raw === '') throw new ConfigValueError('is empty');
  return raw;
}

/**
 * A regular expression in JavaScript syntax (node_exporter's RE2 field filters read the same).
 * Like Go's MatchString it may match anywhere in a name unless anchored with ^ and $.
 */
export function parseRegExp(raw: string): RegExp {
  if (raw === '') throw new ConfigValueError('is empty');
  try {
    return new RegExp(raw);
  } catch (err) {
    throw new ConfigValueError(`is not a valid regular expression: ${(err as Error).message}`);
  }
}

/** Comma-separated CIDRs, e.g. 10.0.0.0/8,fd00::/8 (empty: none). */
export function parseCidrList(raw: string): string[] {
  const cidrs = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
  for (const cidr of cidrs) {
    try {
      parseCidr(cidr);
    } catch (err) {
      throw new ConfigValueError(`${(err as Error).message}; use comma-separated CIDRs, e.g. 10.0.0.0/8,fd00::/8`);
    }
  }
  return cidrs;
}
