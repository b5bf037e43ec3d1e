#!/usr/bin/env node
import './threadpool-size.js'; // first: see there
import { isAgentUserError, startAgentCommand } from './agent-command.js';
import { helpText, loadConfig, readDotEnv } from './config/load-config.js';
import type { Command } from './config/settings.js';
import type { Stoppable } from './demo.js';
import { startBridge } from './start-bridge.js';
import { createLogger } from './log.js';
import { runUntilSignal } from './run-command.js';
import { VERSION } from './version.js';

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
  if (command === 'agent') return startAgentCommand(argv);
  const { values, help, warnings } = loadConfig(command, argv, process.env, await readDotEnv());
  if (help) {
    process.stdout.write(helpText(command));
    process.exit(0);
  }
  const log = createLogger(values.logLevel!, { component: command });
  for (const warning of warnings) log.warn(warning);
  if (command === 'demo') return (await import('./demo.js')).startDemo(values, log);
  const { bridge } = await startBridge(values, log);
  return bridge;
}

/**
 * Errors whose message says what to fix: printed alone, without a stack. The bridge's error
 * classes are imported here, after a failure, so that an agent never loads the bridge's task and
 * token modules (RSS, issue 12).
 */
async function isUserError(err: unknown): Promise<boolean> {
  if (isAgentUserError(err)) return true;
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
  await runUntilSignal(() => start(command, argv), isUserError);
}

void main();
