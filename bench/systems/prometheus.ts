import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSystem, which, type System } from './child.js';

export interface RunningPrometheus extends System {
  url: string;
  /** Raw samples of an instant range-vector query such as `scrape_duration_seconds[5m]`. */
  samples(expr: string): Promise<number[]>;
}

export interface PrometheusScrape {
  job: string;
  /** host:port, scraped with honor_labels (as a bridge or Pushgateway wants). */
  target: string;
  intervalSeconds: number;
  /** Rule files (absolute paths), evaluated every intervalSeconds. */
  ruleFiles?: string[];
}

/** Debian's Prometheus scraping one target, with its own temporary storage, on a free loopback port. */
export async function startPrometheus({ job, target, intervalSeconds, ruleFiles = [] }: PrometheusScrape): Promise<RunningPrometheus> {
  const binary = which('prometheus');
  if (!binary) throw new Error('prometheus is not installed (apt-get install prometheus)');
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-prom-'));
  const port = await freePort();
  const timeout = Math.min(intervalSeconds, 10);
  const rules = ruleFiles.length === 0 ? '' : `  evaluation_interval: ${intervalSeconds}s\nrule_files:\n${ruleFiles.map((f) => `  - ${f}\n`).join('')}`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${intervalSeconds}s\n  scrape_timeout: ${timeout}s\n${rules}` +
      `scrape_configs:\n  - job_name: ${job}\n    honor_labels: true\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  const url = `http://127.0.0.1:${port}`;
  const system = await startSystem('prometheus', binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], `${url}/-/ready`);
  return {
    ...system,
    url,
    async samples(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: { values: [number, string][] }[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
      return body.data.result.flatMap((r) => r.values.map(([, v]) => Number(v)));
    },
    async stop() {
      await system.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
