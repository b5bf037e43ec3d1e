import { readdirSync, readFileSync } from 'node:fs';
import type { SampleValue } from '../../protocol/messages.js';
import { counter, gauge, single } from './family.js';
import { lines, numberField } from './parse-field.js';
import type { CollectorFactory } from './types.js';

/**
 * The agent's own /proc entry. Deliberately not HostPaths.proc: in a container that is the
 * host's /proc, where "self" would still resolve but the intent is "this process".
 */
const SELF = '/proc/self';

/** Same moment as prom-client's processStartTime: module load, to the second. */
const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

export interface ProcessMemory {
  residentBytes: number;
  virtualBytes: number;
  /** VmData, which prom-client reports as process_heap_bytes. */
  heapBytes: number;
}

/** VmRSS, VmSize and VmData of /proc/<pid>/status ("VmRSS:\t  2088 kB"). */
export function parseProcStatus(text: string): ProcessMemory {
  const kB = new Map<string, number>();
  for (const { line, lineNo } of lines(text)) {
    const m = /^(VmRSS|VmSize|VmData):\s+(\S+)\s+kB$/.exec(line.trim());
    if (m?.[1] !== undefined) kB.set(m[1], numberField(m[2], `status: line ${lineNo} (${m[1]})`));
  }
  const bytes = (key: string): number => {
    const v = kB.get(key);
    if (v === undefined) throw new Error(`status: no ${key} line`);
    return v * 1024;
  };
  return { residentBytes: bytes('VmRSS'), virtualBytes: bytes('VmSize'), heapBytes: bytes('VmData') };
}

/** The soft "Max open files" limit of /proc/<pid>/limits; "unlimited" becomes +Inf. */
export function parseMaxOpenFiles(text: string): SampleValue {
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === 'unlimited') return '+Inf';
  return numberField(soft, 'limits: Max open files');
}

/** prom-client's default process metrics, same names and help, for the agent process itself. */
export const createProcessCollector: CollectorFactory = () => ({
  name: 'process',
  async collect(signal) {
    // Synchronous, like readText: our own /proc entry answers at once.
    signal.throwIfAborted();
    const status = readFileSync(`${SELF}/status`, 'utf8');
    const limits = readFileSync(`${SELF}/limits`, 'utf8');
    const fds = readdirSync(`${SELF}/fd`);
    const mem = parseProcStatus(status);
    const cpu = process.cpuUsage();
    return [
      counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', single(cpu.user / 1e6), 'seconds'),
      counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', single(cpu.system / 1e6), 'seconds'),
      counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', single((cpu.user + cpu.system) / 1e6), 'seconds'),
      gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', single(START_TIME_SECONDS), 'seconds'),
      gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', single(mem.residentBytes), 'bytes'),
      gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', single(mem.virtualBytes), 'bytes'),
      gauge('process_heap_bytes', 'Process heap size in bytes.', single(mem.heapBytes), 'bytes'),
      // readdir holds one descriptor open on the fd directory while listing it; do not count it.
      gauge('process_open_fds', 'Number of open file descriptors.', single(fds.length - 1)),
      gauge('process_max_fds', 'Maximum number of open file descriptors.', [{ value: parseMaxOpenFiles(limits) }]),
    ];
  },
});
