import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSystem, which, type System } from './child.js';

export const VICTORIA_METRICS = 'victoria-metrics';

export interface RunningVictoriaMetrics extends System {
  url: string;
  /** Its Prometheus remote_write receiver. */
  writeUrl: string;
  /** Rows it took in so far, by protocol (its own vm_rows_inserted_total). */
  rowsInserted(): Promise<Record<string, number>>;
  /** Requests to its remote_write endpoint and the rows they carried, so far (its own counters). */
  writeRequests(): Promise<{ requests: number; rows: number }>;
  /** Result of an instant query that yields one number (0 for an empty result). */
  scalar(expr: string): Promise<number>;
}

/**
 * Debian's single-node VictoriaMetrics on a free loopback port with its own temporary storage:
 * the remote_write receiver. Queries see the newest samples at once (no 30 s latency offset,
 * no response cache), so counts taken right after a run are complete.
 */
export async function startVictoriaMetrics(): Promise<RunningVictoriaMetrics> {
  const binary = which(VICTORIA_METRICS);
  if (!binary) throw new Error(`${VICTORIA_METRICS} is not installed (apt-get install victoria-metrics)`);
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const system = await startSystem('victoria-metrics', binary, [
    `-httpListenAddr=127.0.0.1:${port}`,
    `-storageDataPath=${join(dir, 'data')}`,
    '-retentionPeriod=1',
    '-search.latencyOffset=0s',
    '-search.disableCache',
    '-search.maxUniqueTimeseries=5000000',
    '-loggerLevel=ERROR',
  ], `${url}/health`);
  return {
    ...system,
    url,
    writeUrl: `${url}/api/v1/write`,
    async rowsInserted() {
      const text = await (await fetch(`${url}/metrics`)).text();
      return parseCounter(text, 'vm_rows_inserted_total', 'type');
    },
    async writeRequests() {
      const text = await (await fetch(`${url}/metrics`)).text();
      return { requests: parseCounter(text, 'vm_http_requests_total', 'path')['/api/v1/write'] ?? 0, rows: parseCounter(text, 'vm_rows_inserted_total', 'type').promremotewrite ?? 0 };
    },
    async scalar(expr) {
      const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr, nocache: '1' }) });
      const body = (await res.json()) as { status: string; error?: string; data: { result: { value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
      return Number(body.data.result[0]?.value[1] ?? 0);
    },
    async stop() {
      await system.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The samples of one counter in exposition text, keyed by the value of one label (unlabelled: ''). */
export function parseCounter(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const line = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  for (const m of text.matchAll(line)) {
    const key = new RegExp(`(?:^|,)\\s*${label}="([^"]*)"`).exec(m[1] ?? '')?.[1] ?? '';
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}
