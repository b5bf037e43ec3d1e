import { join } from 'node:path';
import type { MetricFamily } from '../../protocol/messages.js';
import { METRIC_NAME_RE } from '../../protocol/names.js';
import { gauge, single } from './family.js';
import { lines, numberField } from './parse-field.js';
import { pageSize } from './page-size.js';
import { readTextIfExistsSync } from './read-text.js';
import type { CollectorFactory } from './types.js';

/** The keys node_exporter (procfs) reads, in its order; others (none today) are ignored. */
const KEYS = ['inuse', 'orphan', 'tw', 'alloc', 'mem', 'memory'] as const;
type Key = (typeof KEYS)[number];

export interface Sockstat {
  /** "sockets: used N", IPv4 file only. */
  used?: number;
  protocols: Array<{ protocol: string; values: Partial<Record<Key, number>> }>;
}

/** /proc/net/sockstat{,6}: "TCP: inuse 18 orphan 0 tw 56 alloc 18 mem 0" lines. */
export function parseSockstat(text: string, file: string): Sockstat {
  const stat: Sockstat = { protocols: [] };
  for (const { line, lineNo } of lines(text)) {
    const fields = line.split(' ');
    const where = `${file}: line ${lineNo}`;
    if (fields.length < 3 || fields.length % 2 === 0 || !fields[0]!.endsWith(':')) {
      throw new Error(`${where}: expected "PROTO: key value ...", got ${JSON.stringify(line)}`);
    }
    const protocol = fields[0]!.slice(0, -1);
    const values: Record<string, number> = {};
    for (let i = 1; i < fields.length; i += 2) values[fields[i]!] = numberField(fields[i + 1], `${where} (${protocol} ${fields[i]})`);
    if (protocol === 'sockets') {
      stat.used = values.used;
      continue;
    }
    if (!METRIC_NAME_RE.test(protocol)) throw new Error(`${where}: protocol ${JSON.stringify(protocol)} cannot be part of a metric name`);
    const known: Partial<Record<Key, number>> = {};
    for (const key of KEYS) if (Object.hasOwn(values, key)) known[key] = values[key];
    stat.protocols.push({ protocol, values: known });
  }
  return stat;
}

/** node_exporter's families for one file; `mem` is in pages, so mem_bytes needs the page size. */
export function sockstatFamilies(stat: Sockstat, page: number | undefined): MetricFamily[] {
  const out: MetricFamily[] = [];
  if (stat.used !== undefined) out.push(gauge('node_sockstat_sockets_used', 'Number of IPv4 sockets in use.', single(stat.used)));
  for (const { protocol, values } of stat.protocols) {
    const pairs: Array<[string, number | undefined]> = KEYS.map((k) => [k, values[k]]);
    if (values.mem !== undefined && page !== undefined) pairs.push(['mem_bytes', values.mem * page]);
    for (const [key, value] of pairs) {
      if (value === undefined) continue;
      out.push(gauge(`node_sockstat_${protocol}_${key}`, `Number of ${protocol} sockets in state ${key}.`, single(value), key === 'mem_bytes' ? 'bytes' : undefined));
    }
  }
  return out;
}

export const createSockstatCollector: CollectorFactory = (paths) => ({
  name: 'sockstat',
  async collect(signal) {
    signal.throwIfAborted();
    const dir = join(paths.proc, 'net');
    // Either protocol may be compiled out or disabled; node_exporter skips a missing file.
    const v4 = readTextIfExistsSync(join(dir, 'sockstat'));
    const v6 = readTextIfExistsSync(join(dir, 'sockstat6'));
    const page = await pageSize();
    if (v4 === undefined && v6 === undefined) throw new Error(`neither ${dir}/sockstat nor ${dir}/sockstat6 exists`);
    return [
      ...(v4 === undefined ? [] : sockstatFamilies(parseSockstat(v4, 'sockstat'), page)),
      ...(v6 === undefined ? [] : sockstatFamilies(parseSockstat(v6, 'sockstat6'), page)),
    ];
  },
});
