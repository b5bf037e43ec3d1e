import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Resolves with the first match of `pattern` in its output; fails if it exits first. */
  waitForOutput(pattern: RegExp, deadlineMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

const running = new Set<RunningProcess>();

/**
 * Runs `fleetpulse <args>` from dist/ as a real child process; `prefix` wraps the command
 * (e.g. `ip netns exec <ns>`, which execs, so signals still reach fleetpulse itself).
 */
export function runCli(args: string[], env: Record<string, string>, prefix: string[] = []): RunningProcess {
  const [command, ...commandArgs] = [...prefix, process.execPath, CLI, ...args];
  const child = spawn(command!, commandArgs, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const changed = new EventEmitter();
  const append = (c: Buffer) => {
    out += c.toString();
    changed.emit('output');
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const proc: RunningProcess = {
    child,
    output: () => out,
    exited,
    waitForOutput: (pattern, deadlineMs = 30_000) =>
      new Promise((resolve, reject) => {
        const done = () => {
          changed.off('output', check);
          clearTimeout(timer);
        };
        const check = () => {
          const match = out.match(pattern);
          if (match) {
            done();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in the output within ${deadlineMs} ms:\n${out}`));
        }, deadlineMs);
        void exited.then((code) => {
          if (out.match(pattern)) return;
          done();
          reject(new Error(`exited (${code}) before printing ${pattern}:\n${out}`));
        });
        changed.on('output', check);
        check();
      }),
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

const dataDirs: string[] = [];

/** Kills every child still running and removes the bridges' data directories (for after hooks). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')));
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface BridgeProcess {
  proc: RunningProcess;
  ingestPort: number;
  httpPort: number;
  /** FLEETPULSE_DATA_DIR: a fresh directory unless the env named one; a restart keeps it. */
  dataDir: string;
}

/**
 * `fleetpulse server` as a child process on 127.0.0.1. Ports default to 0: the bridge binds
 * whatever the kernel gives and its log line says which, so no port is chosen first and bound
 * later (where a parallel test could take it in between). Resolves once it listens (and is ready).
 */
export async function startBridgeProcess(env: Record<string, string> = {}): Promise<BridgeProcess> {
  // Never the default ./fleetpulse-data: one test's agents (agents.json) would be restored in the next.
  let dataDir = env.FLEETPULSE_DATA_DIR;
  if (dataDir === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), 'fp-bridge-data-'));
    dataDirs.push(dataDir);
  }
  const proc = runCli(['server'], { FLEETPULSE_BIND: '127.0.0.1', FLEETPULSE_INGEST_PORT: '0', FLEETPULSE_HTTP_PORT: '0', ...env, FLEETPULSE_DATA_DIR: dataDir });
  const [, ingest, http] = await proc.waitForOutput(/msg="bridge listening" .*ingest=\S+:(\d+) http=\S+:(\d+)/);
  return { proc, ingestPort: Number(ingest), httpPort: Number(http), dataDir };
}

/**
 * The bridge again on the ports and data directory it had (agents are configured with the ports). The old process
 * must have exited; should something else have bound a port in between, try again.
 */
export async function restartBridgeProcess(previous: BridgeProcess, env: Record<string, string> = {}, deadlineMs = 30_000): Promise<BridgeProcess> {
  const giveUp = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await startBridgeProcess({ FLEETPULSE_DATA_DIR: previous.dataDir, ...env, FLEETPULSE_INGEST_PORT: String(previous.ingestPort), FLEETPULSE_HTTP_PORT: String(previous.httpPort) });
    } catch (err) {
      if (!/EADDRINUSE/.test(String(err)) || Date.now() > giveUp) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The port an agent's probe responder bound (FLEETPULSE_PROBE_PORT=0 lets the kernel choose), from its log. */
export async function probePortOf(agent: RunningProcess): Promise<number> {
  const [, port] = await agent.waitForOutput(/msg="probe responder listening" .*udp_tcp=\S+:(\d+)/);
  return Number(port);
}
