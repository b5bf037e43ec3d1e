import { readFileSync, readdirSync } from 'node:fs';

// What a process costs, read from /proc of its pid (Linux only).

/**
 * CPU seconds the process has run so far, summed over its threads from
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds, unlike the 10 ms ticks of /proc/<pid>/stat).
 * Threads that already exited are not counted; the processes measured here (Node, Go) keep
 * theirs.
 */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return ns / 1e9;
}

export interface Memory {
  /** Resident set size now (VmRSS). */
  rssBytes: number;
  /** Peak resident set size (VmHWM). */
  peakRssBytes: number;
  /** The process's own part of RSS (RssAnon): RSS less pages of files such as the node binary, shared by every process that maps them. */
  anonBytes: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM'), anonBytes: kib('RssAnon') };
}

/** CPU seconds used between two calls, for one process. */
export class CpuMeter {
  private last: number;
  constructor(private readonly pid: number) {
    this.last = cpuSeconds(pid);
  }

  /** Seconds used since the previous lap (or since construction). */
  lap(): number {
    const now = cpuSeconds(this.pid);
    const used = now - this.last;
    this.last = now;
    return used;
  }
}
