#!/usr/bin/env node
// Each statfs on a hung NFS mount holds a libuv thread until it returns; with the default 4,
// a few stuck mounts would stall every file read of the agent. Set before any async fs work.
process.env.UV_THREADPOOL_SIZE ??= '16';
import { Agent } from './agent/agent.js';
import { checkStatus, statusFilePath } from './agent/status-file.js';
import { agentOptions } from './config/build-options.js';
import { OutboxDirError } from './agent/outbox/disk-store.js';
import { ConfigError, helpText, loadConfig, readDotEnv } from './config/load-config.js';
import type { Command } from './config/settings.js';
import type { Stoppable } from './demo.js';
import { startBridge } from './start-bridge.js';
import { createLogger } from './log.js';
import { VERSION } from './version.js';
import { TlsFileError } from './net/tls-files.js';

const USAGE = `fleetpulse ${VERSION} — push-based host monitoring for Prometheus

Usage:
  fleetpulse server   the bridge: agents connect on TCP 9700, Prometheus scrapes :9701/metrics
  fleetpulse agent    collect this host's metrics and push them to FLEETPULSE_SERVER
  fleetpulse demo     a bridge and an agent for this machine in one process, on loopback
                      (--agents 3: three agents and a latency task between them)
  fleetpulse certs    make a CA, bridge and agent certificates, agent tokens, a web-config (docs/security.md)
  fleetpulse <command> --help   every setting of that command
  fleetpulse --version
`;

async function start(command: Command, argv: string[]): Promise<Stoppable> {
  const { values, help, check, warnings } = loadConfig(command, argv, process.env, await readDotEnv());
  if (help) {
    process.stdout.write(helpText(command));
    process.exit(0);
  }
  if (check) {
    const result = checkStatus(values.statusFile ?? statusFilePath(values.agentId!));
    process.stdout.write(`${result.message}\n`);
    process.exit(result.healthy ? 0 : 1);
  }
  const log = createLogger(values.logLevel!, { component: command });
  for (const warning of warnings) log.warn(warning);
  if (command === 'demo') return (await import('./demo.js')).startDemo(values, log);
  if (command === 'server') {
    const { bridge } = await startBridge(values, log);
    return bridge;
  }
  const agent = new Agent(agentOptions(values, log));
  agent.start();
  return agent;
}

/**
 * Errors whose message says what to fix: printed alone, without a stack. The bridge's error
 * classes are imported here, after a failure, so that an agent never loads the bridge's task and
 * token modules (RSS, issue 12).
 */
async function isUserError(err: unknown): Promise<boolean> {
  if (err instanceof ConfigError || err instanceof TlsFileError || err instanceof OutboxDirError) return true;
  const [{ TaskFileError }, { TokensFileError }, { WebConfigError }] = await Promise.all([
    import('./server/tasks/task-repository.js'),
    import('./server/auth/agent-tokens-file.js'),
    import('./server/http/web-config-error.js'),
  ]);
  return err instanceof TaskFileError || err instanceof TokensFileError || err instanceof WebConfigError;
}

async function main(): Promise<void> {
  const [command, ...argv] = process.argv.slice(2);
  if (command === '--version' || command === 'version') return void process.stdout.write(`${VERSION}\n`);
  if (command === 'certs') {
    const { runCerts, CertsError } = await import('./certs/certs-command.js');
    try {
      return runCerts(argv, (line) => process.stdout.write(`${line}\n`));
    } catch (err) {
      if (!(err instanceof CertsError)) throw err;
      process.stderr.write(`fleetpulse certs: ${err.message}\n`);
      process.exit(2);
    }
  }
  if (command !== 'server' && command !== 'agent' && command !== 'demo') {
    process.stderr.write(command === undefined || command === '--help' || command === 'help' ? USAGE : `fleetpulse: unknown command "${command}"\n\n${USAGE}`);
    process.exit(command === undefined || command === '--help' || command === 'help' ? 0 : 2);
  }
  let running: Stoppable;
  try {
    running = await start(command, argv);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (await isUserError(err)) process.stderr.write(`fleetpulse: ${e.message}\n`);
    else if (e.code === 'EADDRINUSE') process.stderr.write(`fleetpulse: cannot listen: ${e.message}; is another bridge running? choose other ports with FLEETPULSE_INGEST_PORT / FLEETPULSE_HTTP_PORT\n`);
    else process.stderr.write(`fleetpulse: ${e.stack ?? e.message}\n`);
    process.exit(2);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C forces it
    stopping = true;
    process.stderr.write(`fleetpulse: ${signal} received, stopping\n`);
    const force = setTimeout(() => process.exit(1), running.stopDeadlineMs ?? 5000).unref();
    running.stop().then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
