import { join } from 'node:path';
import { counter, gauge, single } from './family.js';
import { lines, numberField } from './parse-field.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

export interface KernelStats {
  /** First number of the "intr" line: all interrupts serviced since boot. */
  intr: number;
  ctxt: number;
  /** Boot time, seconds since the epoch. */
  btime: number;
  /** The "processes" line: forks since boot. */
  processes: number;
  procsRunning: number;
  procsBlocked: number;
}

const KEYS = {
  intr: 'intr',
  ctxt: 'ctxt',
  btime: 'btime',
  processes: 'processes',
  procs_running: 'procsRunning',
  procs_blocked: 'procsBlocked',
} as const satisfies Record<string, keyof KernelStats>;

/** The system-wide lines of /proc/stat (the cpu lines belong to cpu.ts). */
export function parseStat(text: string): KernelStats {
  const found: Partial<KernelStats> = {};
  for (const { line, lineNo } of lines(text)) {
    const [key, first] = line.trim().split(/\s+/);
    if (key !== undefined && Object.hasOwn(KEYS, key)) {
      found[KEYS[key as keyof typeof KEYS]] = numberField(first, `stat: line ${lineNo} (${key})`);
    }
  }
  for (const [key, field] of Object.entries(KEYS)) {
    if (found[field] === undefined) throw new Error(`stat: no "${key}" line`);
  }
  return found as KernelStats;
}

export const createStatCollector: CollectorFactory = (paths) => ({
  name: 'stat',
  async collect(signal) {
    const s = parseStat(await readText(join(paths.proc, 'stat'), signal));
    return [
      counter('node_intr_total', 'Total number of interrupts serviced.', single(s.intr)),
      counter('node_context_switches_total', 'Total number of context switches.', single(s.ctxt)),
      counter('node_forks_total', 'Total number of forks.', single(s.processes)),
      gauge('node_boot_time_seconds', 'Node boot time, in unixtime.', single(s.btime), 'seconds'),
      gauge('node_procs_running', 'Number of processes in runnable state.', single(s.procsRunning)),
      gauge('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', single(s.procsBlocked)),
    ];
  },
});
