#!/usr/bin/env node
// The agent's own entry point: `fleetpulse-agent agent` runs what `fleetpulse agent` runs, from
// a build that holds the agent alone (scripts/bundle.mjs). The image and the systemd unit start
// it so that no bridge, console or certificate code is read into an agent's memory (issue 12:
// agent RSS). Anything but the agent is refused with where to find it.
import './threadpool-size.js'; // first: see there
import { isAgentUserError, startAgentCommand } from './agent-command.js';
import { runUntilSignal } from './run-command.js';
import { VERSION } from './version.js';

const [command, ...argv] = process.argv.slice(2);
if (command === '--version' || command === 'version') process.stdout.write(`${VERSION}\n`);
else if (command !== 'agent') {
  process.stderr.write(`fleetpulse ${VERSION} (agent build): runs only "agent" (got ${command === undefined ? 'nothing' : `"${command}"`}); ` +
    `"agent --help" lists its settings. The bridge, demo and certs commands are in the full fleetpulse CLI.\n`);
  process.exit(2);
} else void runUntilSignal(() => startAgentCommand(argv), isAgentUserError);
