import { Agent } from './agent/agent.js';
import { OutboxDirError } from './agent/outbox/disk-store.js';
import { checkStatus, statusFilePath } from './agent/status-file.js';
import { agentOptions } from './config/build-options.js';
import { ConfigError, helpText, loadConfig, readDotEnv } from './config/load-config.js';
import type { Stoppable } from './demo.js';
import { createLogger } from './log.js';
import { TlsFileError } from './net/tls-files.js';

// `fleetpulse agent`, shared by the full CLI (src/cli.ts) and the agent's own entry
// (src/agent-cli.ts), which must not load anything of the bridge.

/** Starts the agent from flags, environment and .env; --help and --check print and exit. */
export async function startAgentCommand(argv: string[]): Promise<Stoppable> {
  const { values, help, check, warnings } = loadConfig('agent', argv, process.env, await readDotEnv());
  if (help) {
    process.stdout.write(helpText('agent'));
    process.exit(0);
  }
  if (check) {
    const result = checkStatus(values.statusFile ?? statusFilePath(values.agentId!));
    process.stdout.write(`${result.message}\n`);
    process.exit(result.healthy ? 0 : 1);
  }
  const log = createLogger(values.logLevel!, { component: 'agent' });
  for (const warning of warnings) log.warn(warning);
  const agent = new Agent(agentOptions(values, log));
  agent.start();
  return agent;
}

/** The agent's errors whose message says what to fix: printed alone, without a stack. */
export function isAgentUserError(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof TlsFileError || err instanceof OutboxDirError;
}
