import { join } from 'node:path';
import type { MetricFamily, Sample } from '../../protocol/messages.js';
import { counter, gauge, single } from './family.js';
import { lines, numberField } from './parse-field.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

/** /proc/stat counts in USER_HZ ticks, which the kernel fixes at 100 for userspace on every arch. */
export const USER_HZ = 100;
/** node_exporter's jumpBackSeconds: an idle counter falling back this far means hotplug, not jitter. */
const JUMP_BACK_TICKS = 3 * USER_HZ;

export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
const FIELDS = [...CPU_MODES, 'guest', 'guestNice'] as const;
type Field = (typeof FIELDS)[number];

/** One "cpuN" line of /proc/stat, in ticks. Fields an old kernel does not print are 0. */
export type CpuTicks = Record<Field, number>;

/** Per-core ticks from /proc/stat, keyed by core number ("0", "1", ...); the "cpu" total line is skipped. */
export function parseCpuStat(text: string): Map<string, CpuTicks> {
  const cpus = new Map<string, CpuTicks>();
  for (const { line, lineNo } of lines(text)) {
    const parts = line.trim().split(/\s+/);
    const match = /^cpu(\d+)$/.exec(parts[0] ?? '');
    if (match?.[1] === undefined) continue;
    // user..idle exist on every kernel since 2.4; later columns were added over time.
    if (parts.length < 5) throw new Error(`stat: line ${lineNo}: expected at least 4 cpu fields, got ${JSON.stringify(line)}`);
    const ticks = {} as CpuTicks;
    FIELDS.forEach((field, i) => {
      const text = parts[i + 1];
      ticks[field] = text === undefined ? 0 : numberField(text, `stat: line ${lineNo} (cpu${match[1]} ${field})`);
    });
    cpus.set(match[1], ticks);
  }
  if (cpus.size === 0) throw new Error('stat: no cpuN lines');
  return cpus;
}

/**
 * Busy and total ticks between two readings of one core. Busy is everything but idle and
 * iowait; guest time is already inside user and nice, so it is not added again.
 * Undefined when any counter went backwards (hotplug, reset) or no time passed.
 */
export function cpuDelta(prev: CpuTicks, next: CpuTicks): { busy: number; total: number } | undefined {
  if (FIELDS.some((f) => next[f] < prev[f])) return undefined;
  const d = (f: Field): number => next[f] - prev[f];
  const total = CPU_MODES.reduce((sum, mode) => sum + d(mode), 0);
  if (total <= 0) return undefined;
  return { busy: total - d('idle') - d('iowait'), total };
}

/** node_exporter's updateCPUStats: keep exported counters monotonic, reset a core whose idle jumped back. */
function monotonic(reported: CpuTicks | undefined, next: CpuTicks): CpuTicks {
  if (reported === undefined || reported.idle - next.idle >= JUMP_BACK_TICKS) return { ...next };
  const out = {} as CpuTicks;
  for (const f of FIELDS) out[f] = Math.max(reported[f], next[f]);
  return out;
}

function byCore(a: string, b: string): number {
  return Number(a) - Number(b);
}

/**
 * node_cpu_* counters plus busy % over the interval since the previous run. The first run
 * has no interval, so it sends no busy families at all (rather than a since-boot average
 * that would look like a live value).
 */
export const createCpuCollector: CollectorFactory = (paths) => {
  const reported = new Map<string, CpuTicks>();
  let previous: Map<string, CpuTicks> | undefined;
  return {
    name: 'cpu',
    async collect(signal) {
      const current = parseCpuStat(await readText(join(paths.proc, 'stat'), signal));
      const cores = [...current.keys()].sort(byCore);
      const seconds: Sample[] = [];
      const guest: Sample[] = [];
      for (const cpu of cores) {
        const ticks = monotonic(reported.get(cpu), current.get(cpu)!);
        reported.set(cpu, ticks);
        for (const mode of CPU_MODES) seconds.push({ labels: { cpu, mode }, value: ticks[mode] / USER_HZ });
        guest.push({ labels: { cpu, mode: 'user' }, value: ticks.guest / USER_HZ });
        guest.push({ labels: { cpu, mode: 'nice' }, value: ticks.guestNice / USER_HZ });
      }
      for (const cpu of reported.keys()) if (!current.has(cpu)) reported.delete(cpu);

      const families: MetricFamily[] = [
        counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', seconds, 'seconds'),
        counter('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', guest, 'seconds'),
      ];
      if (previous !== undefined) families.push(...busyFamilies(previous, current, cores));
      previous = current;
      return families;
    },
  };
};

function busyFamilies(previous: Map<string, CpuTicks>, current: Map<string, CpuTicks>, cores: string[]): MetricFamily[] {
  const perCore: Sample[] = [];
  let busy = 0;
  let total = 0;
  for (const cpu of cores) {
    const prev = previous.get(cpu);
    const delta = prev && cpuDelta(prev, current.get(cpu)!);
    if (delta === undefined) continue; // new core, or its counters went backwards: no honest value
    perCore.push({ labels: { cpu }, value: (100 * delta.busy) / delta.total });
    busy += delta.busy;
    total += delta.total;
  }
  if (perCore.length === 0) return [];
  return [
    gauge('fleetpulse_cpu_busy_percent', 'Share of the last interval each CPU spent busy (not idle, not iowait), 0-100.', perCore, 'percent'),
    gauge('fleetpulse_cpu_busy_average_percent', 'Share of the last interval all CPUs together spent busy (not idle, not iowait), 0-100.', single((100 * busy) / total), 'percent'),
  ];
}
