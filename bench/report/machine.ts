import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { which } from '../systems/child.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  node: string;
  /** 1-minute load average when the run started (the machine may be shared). */
  loadAverageAtStart: number;
  /** Versions of the other programs measured, as they report them. */
  tools: Record<string, string>;
}

function versionOf(binary: string): string {
  const path = which(binary);
  if (!path) return 'not installed';
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  return /version (\S+)/.exec(text)?.[1] ?? text.split('\n')[0] ?? 'unknown';
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
    tools: Object.fromEntries(['prometheus-pushgateway', 'prometheus', 'prometheus-node-exporter'].map((b) => [b, versionOf(b)])),
  };
}
