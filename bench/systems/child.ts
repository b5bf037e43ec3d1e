import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A process under test, started by the benchmark and measured through /proc/<pid>. */
export interface System {
  readonly name: string;
  readonly pid: number;
  /** Last lines of its stdout and stderr, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Where a binary is on the PATH, or undefined. */
export function which(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? undefined : found;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `command args`, then waits until `readyUrl` answers 200 (or fails with its output). */
export async function startSystem(name: string, command: string, args: string[], readyUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<System> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  // BENCH_SYSTEM_LOG_DIR=<dir> keeps each system's whole output in <dir>/<name>-<pid>.log (e.g. with --trace-gc).
  const logFile = process.env.BENCH_SYSTEM_LOG_DIR ? `${process.env.BENCH_SYSTEM_LOG_DIR}/${name}-${child.pid}.log` : undefined;
  const keep = (c: Buffer): void => {
    out = (out + c.toString()).slice(-4000);
    if (logFile) appendFileSync(logFile, c);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const system: System = {
    name,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start: ${out}`);
    try {
      if ((await fetch(readyUrl)).ok) return system;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await system.stop();
      throw new Error(`${name} not ready within 30 s: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
