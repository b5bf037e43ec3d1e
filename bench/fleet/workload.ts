import type { MetricFamily, MetricType, Sample } from '../../src/protocol/messages.js';

// The series one simulated agent sends: a real agent's mix (per-core cpu counters, meminfo
// gauges, per-device disk and network counters, filesystems, load, collector status), cut
// to exactly `series`. Values evolve per cycle the way they do on a host: busy counters and
// gauges move, while error counters, sizes, totals and idle modes mostly stay put. Pure
// apart from the seeded random generator, so a worker and a test build the same batches.

interface SeriesSpec {
  labels: Record<string, string> | undefined;
  /** Added per cycle (times a random factor in [0.5, 1.5)); 0 = the value never changes. */
  step: number;
  /** Gauges wander around their start; counters only grow. */
  wanders: boolean;
  start: number;
}

interface FamilySpec {
  name: string;
  type: MetricType;
  help: string;
  series: SeriesSpec[];
}

const CPU_MODES: [string, number][] = [['idle', 4.2], ['iowait', 0.05], ['irq', 0], ['nice', 0], ['softirq', 0.02], ['steal', 0], ['system', 0.3], ['user', 0.6]];
const MEMINFO: [string, boolean][] = [
  ['MemTotal', false], ['MemFree', true], ['MemAvailable', true], ['Buffers', true], ['Cached', true], ['SwapCached', false],
  ['Active', true], ['Inactive', true], ['Active_anon', true], ['Inactive_anon', true], ['Active_file', true], ['Inactive_file', true],
  ['Unevictable', false], ['Mlocked', false], ['SwapTotal', false], ['SwapFree', false], ['Dirty', true], ['Writeback', false],
  ['AnonPages', true], ['Mapped', true], ['Shmem', false], ['KReclaimable', true], ['Slab', true], ['SReclaimable', true],
  ['SUnreclaim', true], ['KernelStack', false], ['PageTables', true], ['CommitLimit', false], ['Committed_AS', true],
  ['VmallocTotal', false], ['VmallocUsed', false], ['HugePages_Total', false],
];
const DISK_COUNTERS: [string, string, number][] = [
  ['reads_completed_total', 'The total number of reads completed successfully.', 12],
  ['reads_merged_total', 'The total number of reads merged.', 1],
  ['read_bytes_total', 'The total number of bytes read successfully.', 49152],
  ['read_time_seconds_total', 'The total number of seconds spent by all reads.', 0.01],
  ['writes_completed_total', 'The total number of writes completed successfully.', 40],
  ['writes_merged_total', 'The number of writes merged.', 9],
  ['written_bytes_total', 'The total number of bytes written successfully.', 393216],
  ['write_time_seconds_total', 'This is the total number of seconds spent by all writes.', 0.08],
  ['io_time_seconds_total', 'Total seconds spent doing I/Os.', 0.06],
  ['io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.', 0.09],
  ['discards_completed_total', 'The total number of discards completed successfully.', 0],
  ['flush_requests_total', 'The total number of flush requests completed successfully.', 0],
];
const NET_COUNTERS: [string, number][] = [
  ['receive_bytes_total', 182_000], ['receive_packets_total', 410], ['receive_errs_total', 0], ['receive_drop_total', 0],
  ['receive_fifo_total', 0], ['receive_frame_total', 0], ['receive_compressed_total', 0], ['receive_multicast_total', 0],
  ['transmit_bytes_total', 96_000], ['transmit_packets_total', 300], ['transmit_errs_total', 0], ['transmit_drop_total', 0],
  ['transmit_fifo_total', 0], ['transmit_colls_total', 0], ['transmit_carrier_total', 0], ['transmit_compressed_total', 0],
];
const FILESYSTEM_GAUGES: [string, boolean][] = [
  ['avail_bytes', true], ['free_bytes', true], ['size_bytes', false], ['files', false], ['files_free', true], ['readonly', false], ['device_error', false],
];
const COLLECTORS = ['cpu', 'loadavg', 'stat', 'meminfo', 'filesystem', 'diskstats', 'netdev', 'uname', 'time', 'process'];

const counter = (step: number, start: number, labels?: Record<string, string>): SeriesSpec => ({ labels, step, wanders: false, start });
const gauge = (moves: boolean, start: number, labels?: Record<string, string>): SeriesSpec => ({ labels, step: moves ? start / 200 : 0, wanders: true, start });

/** The families of a host with `cpus` cores, 2 disks, 2 interfaces and 3 filesystems. */
function hostFamilies(cpus: number): FamilySpec[] {
  const cpu: SeriesSpec[] = [];
  for (let c = 0; c < cpus; c++) {
    for (const [mode, step] of CPU_MODES) cpu.push(counter(step, 1000 * (c + 1) + step * 50_000, { cpu: String(c), mode }));
  }
  const families: FamilySpec[] = [
    { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', series: cpu },
    { name: 'node_load1', type: 'gauge', help: '1m load average.', series: [gauge(true, 0.7)] },
    { name: 'node_load5', type: 'gauge', help: '5m load average.', series: [gauge(true, 0.6)] },
    { name: 'node_load15', type: 'gauge', help: '15m load average.', series: [gauge(true, 0.5)] },
    { name: 'node_context_switches_total', type: 'counter', help: 'Total number of context switches.', series: [counter(9000, 8e8)] },
    { name: 'node_forks_total', type: 'counter', help: 'Total number of forks.', series: [counter(20, 3e6)] },
    { name: 'node_intr_total', type: 'counter', help: 'Total number of interrupts serviced.', series: [counter(5000, 4e8)] },
    { name: 'node_procs_running', type: 'gauge', help: 'Number of processes in runnable state.', series: [gauge(true, 3)] },
    { name: 'node_procs_blocked', type: 'gauge', help: 'Number of processes blocked waiting for I/O to complete.', series: [gauge(false, 0)] },
    { name: 'node_boot_time_seconds', type: 'gauge', help: 'Node boot time, in unixtime.', series: [gauge(false, 1.7e9)] },
  ];
  for (const [field, moves] of MEMINFO) {
    families.push({ name: `node_memory_${field}_bytes`, type: 'gauge', help: `Memory information field ${field}_bytes.`, series: [gauge(moves, 1.6e10 * (0.05 + (field.length % 7) / 10))] });
  }
  for (const [field, help, step] of DISK_COUNTERS) {
    families.push({ name: `node_disk_${field}`, type: 'counter', help, series: ['nvme0n1', 'sda'].map((device, i) => counter(step / (i + 1), step * 1e5 + 1, { device })) });
  }
  for (const [field, step] of NET_COUNTERS) {
    const direction = field.startsWith('receive') ? 'receive' : 'transmit';
    families.push({
      name: `node_network_${field}`,
      type: 'counter',
      help: `Network device statistic ${field.slice(direction.length + 1).replace(/_total$/, '')}.`,
      series: ['eth0', 'lo'].map((device, i) => counter(step / (i + 1), step * 1e4, { device })),
    });
  }
  const mounts = [['/dev/nvme0n1p1', '/', 'ext4'], ['/dev/sda1', '/data', 'xfs'], ['tmpfs', '/run', 'tmpfs']];
  for (const [field, moves] of FILESYSTEM_GAUGES) {
    families.push({
      name: `node_filesystem_${field}`,
      type: 'gauge',
      help: `Filesystem ${field.replace(/_/g, ' ')}.`,
      series: mounts.map(([device, mountpoint, fstype], i) => gauge(moves, field.endsWith('bytes') || field.startsWith('files') ? 1e11 / (i + 1) : 0, { device: device!, fstype: fstype!, mountpoint: mountpoint! })),
    });
  }
  families.push(
    { name: 'node_uname_info', type: 'gauge', help: 'Labeled system information as provided by the uname system call.', series: [gauge(false, 1, { machine: 'x86_64', nodename: 'host', release: '6.1.0-18-amd64', sysname: 'Linux', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1' })] },
    { name: 'node_time_seconds', type: 'gauge', help: 'System time in seconds since epoch (1970).', series: [counter(5, 1.7e9)] },
    { name: 'node_scrape_collector_success', type: 'gauge', help: 'node_exporter: Whether a collector succeeded.', series: COLLECTORS.map((collector) => gauge(false, 1, { collector })) },
    { name: 'node_scrape_collector_duration_seconds', type: 'gauge', help: 'node_exporter: Duration of a collector scrape.', series: COLLECTORS.map((collector) => gauge(true, 0.0004, { collector })) },
  );
  return families;
}

/** The first `series` series of the smallest host profile that has that many. */
export function familySpecs(series: number): FamilySpec[] {
  let cpus = 1;
  let families = hostFamilies(cpus);
  while (families.reduce((n, f) => n + f.series.length, 0) < series) families = hostFamilies(++cpus);
  const cut: FamilySpec[] = [];
  let left = series;
  for (const family of families) {
    if (left === 0) break;
    const taken = family.series.slice(0, left);
    cut.push({ ...family, series: taken });
    left -= taken.length;
  }
  return cut;
}

/** A deterministic xorshift generator, so runs are comparable. */
export function random(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/**
 * One agent's evolving snapshot. `next()` advances every value by one cycle and returns
 * the families to send; the objects are reused across cycles (the encoder reads them at once).
 */
export class AgentWorkload {
  readonly families: MetricFamily[];
  readonly series: number;
  private readonly specs: SeriesSpec[] = [];
  private readonly samples: Sample[] = [];
  private readonly rand: () => number;

  constructor(seriesCount: number, seed: number) {
    this.rand = random(seed + 1);
    this.families = familySpecs(seriesCount).map((f) => ({
      name: f.name,
      type: f.type,
      help: f.help,
      samples: f.series.map((s) => {
        const sample: Sample = s.labels ? { labels: s.labels, value: s.start } : { value: s.start };
        this.specs.push(s);
        this.samples.push(sample);
        return sample;
      }),
    }));
    this.series = this.samples.length;
  }

  next(): MetricFamily[] {
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i]!;
      if (spec.step === 0) continue;
      const sample = this.samples[i]!;
      const delta = spec.step * (0.5 + this.rand());
      const value = spec.wanders ? spec.start + (this.rand() - 0.5) * 40 * spec.step : (sample.value as number) + delta;
      sample.value = Math.round(value * 1000) / 1000;
    }
    return this.families;
  }
}

/** Share of series whose value changes from one cycle to the next. */
export function changingShare(seriesCount: number): number {
  const specs = familySpecs(seriesCount).flatMap((f) => f.series);
  return specs.filter((s) => s.step !== 0).length / specs.length;
}
