// Minimal structured logger: one logfmt line per event on stderr, so it reads well in a
// terminal and in `docker logs`, and greps well at 3 a.m.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  error(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  debug(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

function quote(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * What Date.prototype.toISOString() returns for `ms` (years 0 to 9999), from the UTC fields.
 * Under Node 22, toISOString loads ICU's time-zone display names (zone/pool.res, metaZones.res,
 * ...), which it never prints: in the agent that was 0.9 MiB of RSS (the node binary's pages) for a
 * timestamp per log line (bench/results/2026-11-30-agent-image-rss-s12.md). The UTC getters do not.
 */
export function isoTimestamp(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return d.toISOString(); // expanded years (+275760-...), or throws on NaN like it
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:` +
    `${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

function format(level: LogLevel, msg: string, fields: Fields): string {
  let line = `ts=${isoTimestamp(Date.now())} level=${level} msg=${quote(msg)}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line += ` ${key}=${quote(String(value))}`;
  }
  return line + '\n';
}

export function createLogger(level: LogLevel, base: Fields = {}, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (msg: string, fields: Fields = {}) => {
    if (LOG_LEVELS.indexOf(at) <= threshold) write(format(at, msg, { ...base, ...fields }));
  };
  return {
    error: emit('error'),
    warn: emit('warn'),
    info: emit('info'),
    debug: emit('debug'),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
