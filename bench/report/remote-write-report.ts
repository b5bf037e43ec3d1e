import type { BenchOptions } from '../options.js';
import type { RelayRun } from '../phases/relay.js';
import type { ReplayRun } from '../phases/replay.js';
import type { Machine } from './machine.js';

// What one `npm run bench -- --phase remote-write` found: written as JSON, read by its renderer.

export interface RemoteWriteReport {
  date: string;
  mode: BenchOptions['mode'];
  /** The command line that produced it. */
  command: string;
  machine: Machine;
  /** Debian package versions of the receiver and vmagent. */
  packages: Record<string, string>;
  workload: { agents: number; series: number; periodMs: number; runs: number };
  durationSeconds: number;
  loadAverageAtEnd: number;
  /** In the order they ran (relays alternate). */
  runs: RelayRun[];
  replays: ReplayRun[];
  /** Parts left out, with the reason. */
  notes: string[];
}
