import { join } from 'node:path';
import type { MetricFamily } from '../../protocol/messages.js';
import { METRIC_NAME_RE } from '../../protocol/names.js';
import { family, single } from './family.js';
import { FieldVerdicts, numberField } from './parse-field.js';
import { readTextIfExistsSync, readTextSync } from './read-text.js';
import type { CollectorFactory } from './types.js';

/**
 * node_exporter's default --collector.netstat.fields on its main branch (Debian bookworm's 1.5.0
 * lacks TCPOFOQueue and TCPRcvQDrop). Matched against "<Protocol>_<Field>", e.g. "Tcp_InErrs".
 */
export const DEFAULT_NETSTAT_FIELDS =
  /^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$/;

export interface NetStatField {
  /** "Tcp", "TcpExt", "Ip6", ... */
  protocol: string;
  /** "InErrs", "ListenDrops", ... */
  field: string;
  value: number;
}

/** Which columns of one header line `keep` takes: the same every collection. */
interface HeaderPlan {
  /** "TcpExt:" */
  head: string;
  protocol: string;
  columns: number;
  kept: Array<{ index: number; field: string }>;
}

/**
 * Plans by header line ("TcpExt: SyncookiesSent ..."), kept across collections by a collector:
 * the kernel prints the same headers every time, so the filter runs over each name once, not on
 * every read. Bounded, in case a file's headers ever change every time.
 */
export type HeaderPlans = Map<string, HeaderPlan>;
const MAX_PLANS = 64;

function planHeader(header: string, keep: RegExp): HeaderPlan {
  const names = header.split(' ');
  const protocol = names[0]!.slice(0, -1);
  const kept: HeaderPlan['kept'] = [];
  for (let j = 1; j < names.length; j++) if (keep.test(`${protocol}_${names[j]!}`)) kept.push({ index: j, field: names[j]! });
  return { head: names[0]!, protocol, columns: names.length, kept };
}

/**
 * /proc/net/netstat and /proc/net/snmp: pairs of lines, "Proto: Name1 Name2 ..." then
 * "Proto: v1 v2 ...". Only fields whose "<Protocol>_<Field>" matches `keep` are converted.
 * `plans` (one per collector and `keep`) remembers each header's kept columns.
 */
export function parseNetStats(text: string, file: string, keep: RegExp, plans: HeaderPlans = new Map()): NetStatField[] {
  const out: NetStatField[] = [];
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  if (all.length % 2 !== 0) throw new Error(`${file}: odd number of lines (${all.length}); expected header/value pairs`);
  for (let i = 0; i < all.length; i += 2) {
    const header = all[i]!;
    let plan = plans.get(header);
    if (plan === undefined) {
      plan = planHeader(header, keep);
      if (plans.size >= MAX_PLANS) plans.clear();
      plans.set(header, plan);
    }
    const { head, protocol } = plan;
    const values = all[i + 1]!.split(' ');
    if (!head.endsWith(':') || values[0] !== head || plan.columns !== values.length) {
      throw new Error(`${file}: line ${i + 1}/${i + 2}: expected "${protocol}: names" then "${protocol}: values" with as many fields`);
    }
    for (const { index, field } of plan.kept) {
      out.push({ protocol, field, value: numberField(values[index], `${file}: ${protocol} ${field}`) });
    }
  }
  return out;
}

/** /proc/net/snmp6: "Ip6InReceives   7" lines; the protocol ends at the first "6". */
export function parseSnmp6(text: string, keep: RegExp | FieldVerdicts): NetStatField[] {
  const out: NetStatField[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2) continue;
    const six = parts[0]!.indexOf('6');
    if (six < 0) continue; // node_exporter skips names without a "6" too
    const protocol = parts[0]!.slice(0, six + 1);
    const field = parts[0]!.slice(six + 1);
    if (!(keep instanceof FieldVerdicts ? keep.test(parts[0]!, `${protocol}_${field}`) : keep.test(`${protocol}_${field}`))) continue;
    out.push({ protocol, field, value: numberField(parts[1], `snmp6: ${parts[0]}`) });
  }
  return out;
}

/** netstat, snmp and snmp6 of the agent's network namespace, as node_exporter reads them (see docs/collectors.md). */
export const createNetstatCollector: CollectorFactory = (paths, options) => {
  const fields = options?.netstatFields ?? DEFAULT_NETSTAT_FIELDS;
  const plans: HeaderPlans = new Map();
  const snmp6Fields = new FieldVerdicts(fields);
  return {
    name: 'netstat',
    async collect(signal) {
      signal.throwIfAborted();
      const dir = join(paths.proc, 'net');
      const netstat = readTextSync(join(dir, 'netstat'));
      const snmp = readTextSync(join(dir, 'snmp'));
      const snmp6 = readTextIfExistsSync(join(dir, 'snmp6')); // absent when IPv6 is disabled
      const stats = [
        ...parseNetStats(netstat, 'netstat', fields, plans),
        ...parseNetStats(snmp, 'snmp', fields, plans),
        ...(snmp6 === undefined ? [] : parseSnmp6(snmp6, snmp6Fields)),
      ];
      const families = new Map<string, MetricFamily>();
      for (const { protocol, field, value } of stats) {
        const name = `node_netstat_${protocol}_${field}`;
        if (!METRIC_NAME_RE.test(name)) throw new Error(`netstat: field ${JSON.stringify(`${protocol}_${field}`)} cannot be a metric name`);
        // A field present twice (never seen, but the files are merged) keeps the last, like node_exporter's map.
        families.set(name, family('untyped', name, `Statistic ${protocol}${field}.`, single(value)));
      }
      return [...families.values()];
    },
  };
};
