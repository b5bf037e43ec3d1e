import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portToHandOut } from './ports.js';
import { gapReport, type GapReport, type SampleWindow } from './sample-gaps.js';

// Debian's single-node VictoriaMetrics as the remote_write receiver of issue 11's tests: a child
// process on a loopback port with its own data directory, which stop/kill/restart keep, so a
// test can take the receiver away and bring it back with everything it had stored.

const BINARY_NAME = 'victoria-metrics';

export function findVictoriaMetrics(): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${BINARY_NAME}`], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? undefined : found;
}

/** The reason to skip a test that needs the receiver, or undefined to run it (in CI: run, and fail if absent). */
export function skipUnlessVictoriaMetrics(): string | undefined {
  if (findVictoriaMetrics() || process.env.CI === 'true') return undefined;
  return `${BINARY_NAME} is not installed (apt-get install victoria-metrics); CI installs it and runs this test`;
}

/** One series as /api/v1/export gives it: raw samples with their own timestamps, duplicates kept. */
export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaMetrics {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Where remote_write 1.0 goes (what FLEETPULSE_REMOTE_WRITE_URL names). */
  writeUrl: string;
  port: number;
  dataDir: string;
  /** stdout and stderr of the current process (the last 64 KiB). */
  output(): string;
  /** Makes every sample received so far searchable (VictoriaMetrics buffers them for about a second). */
  flush(): Promise<void>;
  /** Raw samples of every series matching `selector` with a timestamp in the window, after a flush. */
  exportSeries(selector: string, window: { fromMs: number; toMs: number }): Promise<ExportedSeries[]>;
  /** The timestamps of the one series matching `selector` (none: []; several: an error naming them). */
  timestampsOf(selector: string, window: { fromMs: number; toMs: number }): Promise<number[]>;
  /** gapReport over the one series matching `selector`. */
  gapsOf(selector: string, window: SampleWindow): Promise<GapReport>;
  /** SIGTERM and wait: VictoriaMetrics writes what it buffered; the data directory stays. */
  stop(): Promise<void>;
  /** SIGKILL: samples received in its last second or so may be lost (its own durability, not ours). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory (after stop or kill). */
  restart(deadlineMs?: number): Promise<void>;
  /** Stops it and removes the data directory (for after hooks). */
  remove(): Promise<void>;
}

/** Makes every sample the VictoriaMetrics at `url` received so far searchable. */
export async function flushVictoriaMetrics(url: string): Promise<void> {
  const res = await fetch(`${url}/internal/force_flush`);
  if (!res.ok) throw new Error(`force_flush on ${url}: HTTP ${res.status} ${await res.text()}`);
}

/** Raw samples of every series matching `selector` in the window, from any VictoriaMetrics (a child process or a container), after a flush. */
export async function exportVictoriaMetrics(url: string, selector: string, window: { fromMs: number; toMs: number }): Promise<ExportedSeries[]> {
  await flushVictoriaMetrics(url);
  // Export takes seconds (or RFC 3339); without an end it stops at "now" in whole seconds and
  // misses the newest samples, so both ends are always given, widened to whole seconds.
  const query = new URLSearchParams({ 'match[]': selector, start: String(Math.floor(window.fromMs / 1000)), end: String(Math.ceil(window.toMs / 1000)) });
  const res = await fetch(`${url}/api/v1/export?${query}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`export ${selector} from ${url}: HTTP ${res.status} ${text}`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExportedSeries)
    .map((s) => {
      const keep = s.timestamps.map((t, i) => [t, s.values[i]!] as const).filter(([t]) => t >= window.fromMs && t <= window.toMs);
      return { metric: s.metric, timestamps: keep.map(([t]) => t), values: keep.map(([, v]) => v) };
    });
}

const OUTPUT_LIMIT = 64 * 1024;

const started = new Set<VictoriaMetrics>();

/** Removes every receiver a test file started (for its after hook). */
export async function removeAllVictoriaMetrics(): Promise<void> {
  await Promise.all([...started].map((vm) => vm.remove()));
}

/**
 * A fresh VictoriaMetrics, ready (/health answers OK). It cannot bind port 0 and say which port it got,
 * so a port is handed out first; if something takes it in between, another one is tried.
 */
export async function startVictoriaMetrics(deadlineMs = 60_000): Promise<VictoriaMetrics> {
  const binary = findVictoriaMetrics();
  if (!binary) throw new Error(`${BINARY_NAME} not found; install Debian's victoria-metrics package (.ci/run does)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'fp-vm-'));
  for (let attempt = 1; ; attempt++) {
    const port = await portToHandOut();
    const running = launch(binary, port, dataDir);
    try {
      await running.ready(deadlineMs);
      return wrap(binary, port, dataDir, running);
    } catch (err) {
      await running.kill();
      if (!(err instanceof PortTakenError) || attempt >= 5) {
        rmSync(dataDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

class PortTakenError extends Error {}

interface Launched {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
  ready(deadlineMs: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function launch(binary: string, port: number, dataDir: string): Launched {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, [
    `-storageDataPath=${dataDir}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    // Raw samples as stored, each one: no deduplication (duplicates are a figure the tests report),
    // and queries see samples up to now instead of 30 s ago; no response cache over backfilled ranges.
    '-search.latencyOffset=0s',
    '-search.disableCache',
    '-retentionPeriod=1',
    '-memory.allowedPercent=10',
    '-loggerLevel=WARN',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (c: Buffer) => {
    out = (out + c.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    child,
    output: () => out,
    exited,
    async ready(deadlineMs) {
      const giveUp = Date.now() + deadlineMs;
      for (;;) {
        if (hasExited) {
          if (/address already in use/.test(out)) throw new PortTakenError(`port ${port} taken: ${out.slice(-500)}`);
          throw new Error(`${BINARY_NAME} exited before it was ready:\n${out.slice(-2000)}`);
        }
        try {
          const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
          if (res.ok && (await res.text()).trim() === 'OK') return;
        } catch {
          // Not listening yet.
        }
        if (Date.now() > giveUp) throw new Error(`${BINARY_NAME} on ${url} not healthy within ${deadlineMs} ms:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill(signal = 'SIGKILL') {
      if (!hasExited) child.kill(signal);
      // A graceful stop writes its buffers in a second or two; never wait forever on a stuck one.
      const force = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(force);
    },
  };
}

function wrap(binary: string, port: number, dataDir: string, first: Launched): VictoriaMetrics {
  let current: Launched | undefined = first;
  const url = `http://127.0.0.1:${port}`;
  const live = (): Launched => {
    if (!current) throw new Error(`VictoriaMetrics on ${url} is stopped`);
    return current;
  };
  const flush = () => flushVictoriaMetrics(url);
  const exportSeries = async (selector: string, window: { fromMs: number; toMs: number }): Promise<ExportedSeries[]> => {
    live();
    return exportVictoriaMetrics(url, selector, window);
  };
  const timestampsOf = async (selector: string, window: { fromMs: number; toMs: number }) => {
    const found = await exportSeries(selector, window);
    if (found.length > 1) throw new Error(`${selector} matches ${found.length} series, expected one: ${found.map((s) => JSON.stringify(s.metric)).join(' ')}`);
    return found[0]?.timestamps ?? [];
  };
  const vm: VictoriaMetrics = {
    url,
    writeUrl: `${url}/api/v1/write`,
    port,
    dataDir,
    output: () => current?.output() ?? '',
    flush,
    exportSeries,
    timestampsOf,
    gapsOf: async (selector, window) => gapReport(await timestampsOf(selector, window), window),
    async stop() {
      const running = current;
      current = undefined;
      if (!running) return;
      await running.kill('SIGTERM');
    },
    async kill() {
      const running = current;
      current = undefined;
      if (!running) return;
      await running.kill('SIGKILL');
    },
    async restart(deadlineMs = 60_000) {
      if (current) throw new Error(`VictoriaMetrics on ${url} is still running: stop or kill it first`);
      const giveUp = Date.now() + deadlineMs;
      for (;;) {
        const next = launch(binary, port, dataDir);
        try {
          await next.ready(Math.max(1000, giveUp - Date.now()));
          current = next;
          return;
        } catch (err) {
          await next.kill();
          // Its own port: whoever held it (a connection in TIME_WAIT does not block a listener) lets go soon.
          if (!(err instanceof PortTakenError) || Date.now() > giveUp) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    async remove() {
      started.delete(vm);
      await vm.stop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  started.add(vm);
  return vm;
}
