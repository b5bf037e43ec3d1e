import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './http.js';
import { portToHandOut } from './ports.js';

/** Where Debian's prometheus package puts its binaries, or undefined when absent. */
export function findBinary(name: 'prometheus' | 'promtool' | 'amtool'): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? undefined : found;
}

/**
 * The reason to skip a test that needs a binary, or undefined to run it. In CI a missing
 * binary is a failure (CI installs it), so there the test runs and fails loudly.
 */
export function skipUnlessInstalled(name: 'prometheus' | 'promtool' | 'amtool'): string | undefined {
  if (findBinary(name) || process.env.CI === 'true') return undefined;
  const pkg = name === 'amtool' ? 'prometheus-alertmanager' : 'prometheus';
  return `${name} is not installed (apt-get install ${pkg}); CI installs it and runs this test`;
}

export interface TestPrometheus {
  url: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on a free loopback port, scraping `target` every second with honor_labels,
 * or nothing at all when `target` is undefined (to check that queries parse). Prometheus cannot
 * bind port 0 and report it, so the port is picked first: should another process take it in
 * between, Prometheus exits with "address already in use" and we try another.
 */
export async function startPrometheus(target: string | undefined, extraConfig = '', flags: readonly string[] = []): Promise<TestPrometheus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPrometheusOnce(target, extraConfig, flags);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 5) throw err;
    }
  }
}

class PortTakenError extends Error {}

async function startPrometheusOnce(target: string | undefined, extraConfig: string, flags: readonly string[]): Promise<TestPrometheus> {
  const binary = findBinary('prometheus');
  if (!binary) throw new Error('prometheus binary not found; install Debian\'s prometheus package (.ci/run does)');
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-prom-'));
  const port = await portToHandOut();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    target === undefined
      ? `scrape_configs: []\n${extraConfig}`
      : `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: fleetpulse\n    honor_labels: true\n    static_configs:\n      - targets: ['${target}']\n${extraConfig}`,
  );
  const child: ChildProcess = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...flags,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    let ready = false;
    const exitedFirst = exited.then(() => {
      if (!ready) throw new Error(`prometheus exited before it was ready: ${stderr.slice(-500)}`);
    });
    exitedFirst.catch(() => {});
    await Promise.race([eventually(async () => (await fetch(`${url}/-/ready`)).ok, 60_000, 'prometheus ready').then(() => (ready = true)), exitedFirst]);
  } catch (err) {
    await stop();
    throw /address already in use/.test(stderr) ? new PortTakenError(String(err)) : err;
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    stop,
  };
}

/**
 * promtool's lint complaints that node_exporter's own output draws too, about names we keep so its
 * dashboards and rules work: camelCase meminfo and netstat fields, entropy counted in bits.
 */
const NODE_EXPORTER_NAMING: readonly RegExp[] = [
  /^node_(memory|netstat)_\w+ metric names should be written in 'snake_case' not 'camelCase'$/,
  /^node_entropy_(available|pool_size)_bits use base unit "bytes" instead of "bits"$/,
];

/** True for a promtool complaint node_exporter's own names draw as well (see NODE_EXPORTER_NAMING). */
export function isNodeExporterNaming(complaint: string): boolean {
  return NODE_EXPORTER_NAMING.some((re) => re.test(complaint));
}

/** Runs `promtool check metrics` on a body; returns its exit code and output. */
export function promtoolCheckMetrics(body: string): { status: number; output: string } {
  const binary = findBinary('promtool');
  if (!binary) throw new Error('promtool not found; install Debian\'s prometheus package (.ci/run does)');
  const r = spawnSync(binary, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
