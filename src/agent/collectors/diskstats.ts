import { join } from 'node:path';
import type { MetricFamily, MetricType, Sample } from '../../protocol/messages.js';
import { family } from './family.js';
import { lines, numberField } from './parse-field.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

/** node_exporter's default --collector.diskstats.device-exclude: partitions, ram, loop and floppy devices. */
export const DEFAULT_DEVICE_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** Sectors in /proc/diskstats are always 512 bytes, whatever the device's block size. */
const sectorsToBytes = (sectors: number): number => sectors * 512;
/** Times in /proc/diskstats are milliseconds. */
const msToSeconds = (ms: number): number => ms / 1000;
const asIs = (n: number): number => n;

interface Column {
  name: string;
  type: MetricType;
  help: string;
  convert: (raw: number) => number;
  unit?: string;
}

const c = (name: string, type: MetricType, help: string, convert = asIs, unit?: string): Column => ({ name, type, help, convert, unit });

/** The stat columns after major, minor and name, in kernel order (Documentation/admin-guide/iostats.rst). */
const COLUMNS: readonly Column[] = [
  c('node_disk_reads_completed_total', 'counter', 'The total number of reads completed successfully.'),
  c('node_disk_reads_merged_total', 'counter', 'The total number of reads merged.'),
  c('node_disk_read_bytes_total', 'counter', 'The total number of bytes read successfully.', sectorsToBytes, 'bytes'),
  c('node_disk_read_time_seconds_total', 'counter', 'The total number of seconds spent by all reads.', msToSeconds, 'seconds'),
  c('node_disk_writes_completed_total', 'counter', 'The total number of writes completed successfully.'),
  c('node_disk_writes_merged_total', 'counter', 'The number of writes merged.'),
  c('node_disk_written_bytes_total', 'counter', 'The total number of bytes written successfully.', sectorsToBytes, 'bytes'),
  c('node_disk_write_time_seconds_total', 'counter', 'This is the total number of seconds spent by all writes.', msToSeconds, 'seconds'),
  c('node_disk_io_now', 'gauge', 'The number of I/Os currently in progress.'),
  c('node_disk_io_time_seconds_total', 'counter', 'Total seconds spent doing I/Os.', msToSeconds, 'seconds'),
  c('node_disk_io_time_weighted_seconds_total', 'counter', 'The weighted # of seconds spent doing I/Os.', msToSeconds, 'seconds'),
  // Linux 4.18+.
  c('node_disk_discards_completed_total', 'counter', 'The total number of discards completed successfully.'),
  c('node_disk_discards_merged_total', 'counter', 'The total number of discards merged.'),
  // node_exporter exports these as sectors, not bytes; keep its name and value.
  c('node_disk_discarded_sectors_total', 'counter', 'The total number of sectors discarded successfully.'),
  c('node_disk_discard_time_seconds_total', 'counter', 'This is the total number of seconds spent by all discards.', msToSeconds, 'seconds'),
  // Linux 5.5+.
  c('node_disk_flush_requests_total', 'counter', 'The total number of flush requests completed successfully'),
  c('node_disk_flush_requests_time_seconds_total', 'counter', 'This is the total number of seconds spent by all flush requests.', msToSeconds, 'seconds'),
];

export interface DiskStats {
  device: string;
  /** Raw kernel columns after the device name: 11, 15 or 17 of them depending on the kernel. */
  values: number[];
}

/** Every line of /proc/diskstats. */
export function parseDiskstats(text: string): DiskStats[] {
  return lines(text).map(({ line, lineNo }) => {
    const parts = line.trim().split(/\s+/);
    const device = parts[2];
    if (device === undefined || parts.length < 14) {
      throw new Error(`diskstats: line ${lineNo}: expected major, minor, name and at least 11 counters, got ${JSON.stringify(line)}`);
    }
    const values = parts.slice(3, 3 + COLUMNS.length).map((v, i) => numberField(v, `diskstats: line ${lineNo} (${device} field ${i + 1})`));
    return { device, values };
  });
}

export const createDiskstatsCollector: CollectorFactory = (paths) => ({
  name: 'diskstats',
  async collect(signal) {
    const disks = parseDiskstats(await readText(join(paths.proc, 'diskstats'), signal))
      .filter((d) => !DEFAULT_DEVICE_EXCLUDE.test(d.device));
    const samples: Sample[][] = COLUMNS.map(() => []);
    for (const { device, values } of disks) {
      values.forEach((raw, i) => samples[i]!.push({ labels: { device }, value: COLUMNS[i]!.convert(raw) }));
    }
    const families: MetricFamily[] = [];
    COLUMNS.forEach((col, i) => {
      // Older kernels lack the discard/flush columns: send no empty families for them.
      if (samples[i]!.length > 0) families.push(family(col.type, col.name, col.help, samples[i]!, col.unit));
    });
    return families;
  },
});
