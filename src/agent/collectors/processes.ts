import { closeSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { gauge, single } from './family.js';
import { numberField } from './parse-field.js';
import type { CollectorFactory } from './types.js';
import { openIfExists, readTextSync } from './read-text.js';

export interface ProcStat {
  /** One letter: R, S, D, Z, T, t, X, I, ... */
  state: string;
  threads: number;
}

/**
 * The state and thread count of /proc/<pid>/stat ("1 (systemd) S 0 1 1 ... 1 ..."). The command
 * name may hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(text: string, where: string): ProcStat {
  const close = text.lastIndexOf(')');
  const state = close < 0 ? undefined : text[close + 2];
  if (state === undefined || text[close + 1] !== ' ' || !/^[A-Za-z]$/.test(state)) {
    throw new Error(`${where}: expected a state letter after the command name, got ${JSON.stringify(text.slice(0, 80))}`);
  }
  // Field 20 of stat(5), num_threads: 17 single spaces after the state (field 3). Scanned, not
  // split: this runs for every process every collection.
  let start = close + 2;
  for (let field = 3; field < 20 && start > 0; field++) start = text.indexOf(' ', start) + 1;
  const end = start > 0 ? text.indexOf(' ', start) : -1;
  return { state, threads: numberField(start > 0 ? text.slice(start, end < 0 ? undefined : end).trim() : undefined, `${where} num_threads`) };
}

const STAT_BUFFER = Buffer.alloc(4096);

/**
 * One /proc/<pid>/stat, read synchronously into a shared buffer: about 15 µs each, where a
 * promise-based readFile costs ~100 µs of CPU, and procfs answers stat from the kernel's task state, without waiting on the process as cmdline can.
 * undefined when the process exited since the listing.
 */
function readProcStat(path: string, where: string): ProcStat | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const length = readSync(fd, STAT_BUFFER, 0, STAT_BUFFER.length, 0);
    return parseProcStat(STAT_BUFFER.toString('latin1', 0, length), where);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return undefined; // exited between open and read
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** A /proc entry named by digits only: a process. Checked by hand, once per entry every collection. */
function isPid(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * node_exporter's processes collector (off by default there, on here: one small read per process):
 * processes per state, PIDs and threads in use against the kernel's limits. A process that exits
 * between the listing and the read is skipped, as procfs does.
 */
export const createProcessesCollector: CollectorFactory = (paths) => ({
  name: 'processes',
  async collect(signal) {
    signal.throwIfAborted();
    let threads = 0;
    let count = 0;
    const states = new Map<string, number>();
    for (const pid of readdirSync(paths.proc)) {
      if (!isPid(pid)) continue;
      const s = readProcStat(`${paths.proc}/${pid}/stat`, `${pid}/stat`);
      if (s === undefined) continue;
      count++;
      threads += s.threads;
      states.set(s.state, (states.get(s.state) ?? 0) + 1);
    }
    const limit = (file: string): number => numberField(readTextSync(join(paths.proc, 'sys', 'kernel', file)).trim(), `sys/kernel/${file}`);
    const maxThreads = limit('threads-max');
    const maxPids = limit('pid_max');
    return [
      gauge('node_processes_threads', 'Allocated threads in system', single(threads)),
      gauge('node_processes_max_threads', 'Limit of threads in the system', single(maxThreads)),
      gauge('node_processes_state', 'Number of processes in each state.', [...states].sort().map(([state, value]) => ({ labels: { state }, value }))),
      gauge('node_processes_pids', 'Number of PIDs', single(count)),
      gauge('node_processes_max_processes', 'Number of max PIDs limit', single(maxPids)),
    ];
  },
});
