import { join } from 'node:path';
import type { MetricFamily } from '../../protocol/messages.js';
import { gauge, single } from './family.js';
import { numberField } from './parse-field.js';
import { readTextIfExists } from './read-text.js';
import type { CollectorFactory } from './types.js';

/** The per-CPU columns node_exporter sums, by their header name, with its help texts. */
const STATS = {
  found: 'Number of searched entries which were successful.',
  invalid: 'Number of packets seen which can not be tracked.',
  ignore: 'Number of packets seen which are already connected to a conntrack entry.',
  insert: 'Number of entries inserted into the list.',
  insert_failed: 'Number of entries for which list insertion was attempted but failed.',
  drop: 'Number of packets dropped due to conntrack failure.',
  early_drop: 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.',
  search_restart: 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.',
} as const;

type StatName = keyof typeof STATS;

/**
 * /proc/net/stat/nf_conntrack: a header, then one row of hex counters per CPU. Columns are found
 * by name: Linux 5.x renamed some ("searched" became "clashres") but kept those read here;
 * search_restart is missing before 2.6.35. Returns the sums over all CPUs.
 */
export function parseConntrackStat(text: string): Partial<Record<StatName, number>> {
  const rows = text.split('\n').filter((l) => l.trim() !== '');
  const header = (rows.shift() ?? '').trim().split(/\s+/);
  if (!header.includes('entries')) throw new Error(`stat/nf_conntrack: unexpected header ${JSON.stringify(header.join(' '))}`);
  const sums: Partial<Record<StatName, number>> = {};
  const wanted = (Object.keys(STATS) as StatName[]).filter((n) => header.includes(n));
  for (const name of wanted) sums[name] = 0;
  rows.forEach((row, i) => {
    const cols = row.trim().split(/\s+/);
    if (cols.length !== header.length) throw new Error(`stat/nf_conntrack: row ${i + 1} has ${cols.length} columns, header ${header.length}`);
    for (const name of wanted) {
      const text = cols[header.indexOf(name)]!;
      if (!/^[0-9a-f]{1,16}$/.test(text)) throw new Error(`stat/nf_conntrack: row ${i + 1} ${name}: expected hex, got ${JSON.stringify(text)}`);
      sums[name]! += parseInt(text, 16);
    }
  });
  return sums;
}

export const createConntrackCollector: CollectorFactory = (paths) => ({
  name: 'conntrack',
  async collect(signal) {
    const dir = join(paths.proc, 'sys', 'net', 'netfilter');
    const [count, max, stat] = await Promise.all([
      readTextIfExists(join(dir, 'nf_conntrack_count'), signal),
      readTextIfExists(join(dir, 'nf_conntrack_max'), signal),
      readTextIfExists(join(paths.proc, 'net', 'stat', 'nf_conntrack'), signal),
    ]);
    if (count === undefined || max === undefined) {
      throw new Error(`no ${join(dir, 'nf_conntrack_count')}: the nf_conntrack module is not loaded (no firewall state tracking on this host)`);
    }
    const families: MetricFamily[] = [
      gauge('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', single(numberField(count.trim(), 'nf_conntrack_count'))),
      gauge('node_nf_conntrack_entries_limit', 'Maximum size of connection tracking table.', single(numberField(max.trim(), 'nf_conntrack_max'))),
    ];
    if (stat !== undefined) {
      for (const [name, value] of Object.entries(parseConntrackStat(stat))) {
        // Gauges, as node_exporter declares them, although they only grow.
        families.push(gauge(`node_nf_conntrack_stat_${name}`, STATS[name as StatName], single(value)));
      }
    }
    return families;
  },
});
