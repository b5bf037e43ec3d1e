import { join } from 'node:path';
import type { MetricFamily, Sample } from '../../protocol/messages.js';
import { counter, gauge } from './family.js';
import { readText } from './read-text.js';
import type { CollectorFactory } from './types.js';

/** One row of /proc/net/softnet_stat: a CPU's counters, hex in the file. */
export interface SoftnetRow {
  cpu: string;
  /** Indexed as COLUMNS; a column older kernels do not print is undefined. */
  values: Array<number | undefined>;
}

/**
 * The columns node_exporter reports, by position (the file has no header). Columns 3-7 are
 * unused (always 0). received_rps (10 columns) came with Linux 2.6.39, flow_limit_count (11)
 * with 3.11, backlog_len and the CPU index (13) with 5.x kernels.
 */
const COLUMNS = [
  { at: 0, name: 'node_softnet_processed_total', help: 'Number of processed packets', type: 'counter' },
  { at: 1, name: 'node_softnet_dropped_total', help: 'Number of dropped packets', type: 'counter' },
  { at: 2, name: 'node_softnet_times_squeezed_total', help: 'Number of times processing packets ran out of quota', type: 'counter' },
  { at: 8, name: 'node_softnet_cpu_collision_total', help: 'Number of collision occur while obtaining device lock while transmitting', type: 'counter' },
  { at: 9, name: 'node_softnet_received_rps_total', help: 'Number of times cpu woken up received_rps', type: 'counter' },
  { at: 10, name: 'node_softnet_flow_limit_count_total', help: 'Number of times flow limit has been reached', type: 'counter' },
  { at: 11, name: 'node_softnet_backlog_len', help: 'Softnet backlog status', type: 'gauge' },
] as const;

const HEX_RE = /^[0-9a-f]{1,8}$/;

function hex(text: string, where: string): number {
  if (!HEX_RE.test(text)) throw new Error(`${where}: expected a 32-bit hex number, got ${JSON.stringify(text)}`);
  return parseInt(text, 16);
}

/**
 * One row per online CPU. Before Linux 5.14 rows carry no CPU index and offline CPUs are
 * skipped, so the row number stands in for it, as in procfs.
 */
export function parseSoftnet(text: string): SoftnetRow[] {
  const rows: SoftnetRow[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const where = `softnet_stat: line ${rows.length + 1}`;
    const cols = line.trim().split(/\s+/);
    if (cols.length < 9) throw new Error(`${where}: ${cols.length} columns, expected at least 9`);
    const values = COLUMNS.map(({ at }) => (at < cols.length ? hex(cols[at]!, where) : undefined));
    const cpu = cols.length >= 13 ? String(hex(cols[12]!, where)) : String(rows.length);
    rows.push({ cpu, values });
  }
  return rows;
}

export const createSoftnetCollector: CollectorFactory = (paths) => ({
  name: 'softnet',
  async collect(signal) {
    const rows = parseSoftnet(await readText(join(paths.proc, 'net', 'softnet_stat'), signal));
    const families: MetricFamily[] = [];
    COLUMNS.forEach(({ name, help, type }, i) => {
      const samples: Sample[] = [];
      for (const { cpu, values } of rows) if (values[i] !== undefined) samples.push({ labels: { cpu }, value: values[i] });
      // A column the kernel does not print is left out (node_exporter would send 0).
      if (samples.length > 0) families.push(type === 'counter' ? counter(name, help, samples) : gauge(name, help, samples));
    });
    return families;
  },
});
