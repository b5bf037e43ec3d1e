import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSystem, which, type System } from './child.js';
import { parseCounter } from './victoria-metrics.js';

export const VMAGENT = 'vmagent';

export interface RunningVmagent extends System {
  port: number;
  /** Rows it has handed to the remote_write receiver with a 2xx answer, and rows it dropped. */
  delivery(): Promise<{ sent: number; dropped: number; pendingBytes: number }>;
}

/**
 * Debian's vmagent as the standard relay: takes pushes on /api/v1/import/prometheus (Prometheus
 * text, sample timestamps honoured) and writes them to `remoteWriteUrl`. Its defaults otherwise
 * (in-memory queue spilling to a file queue, 1 s flush), as a user would run it.
 */
export async function startVmagent(remoteWriteUrl: string): Promise<RunningVmagent> {
  const binary = which(VMAGENT);
  if (!binary) throw new Error(`${VMAGENT} is not installed (apt-get install victoria-metrics)`);
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-vmagent-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const system = await startSystem('vmagent', binary, [
    `-httpListenAddr=127.0.0.1:${port}`,
    `-remoteWrite.url=${remoteWriteUrl}`,
    `-remoteWrite.tmpDataPath=${join(dir, 'queue')}`,
    '-loggerLevel=ERROR',
  ], `${url}/health`);
  return {
    ...system,
    port,
    async delivery() {
      const text = await (await fetch(`${url}/metrics`)).text();
      const sum = (name: string, label: string): number => Object.values(parseCounter(text, name, label)).reduce((a, b) => a + b, 0);
      return {
        sent: sum('vmagent_remotewrite_block_size_rows_sum', 'url'),
        dropped: sum('vmagent_remotewrite_packets_dropped_total', 'url') + sum('vm_persistentqueue_bytes_dropped_total', 'path'),
        pendingBytes: sum('vm_persistentqueue_bytes_pending', 'path'),
      };
    },
    async stop() {
      await system.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
