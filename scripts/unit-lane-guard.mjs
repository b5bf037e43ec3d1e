// Preloaded into each test file of `npm run test:unit`: a test in the fast lane starts none of
// the programs that make a test slow. One that does belongs in SYSTEM_DIRS or SYSTEM_FILES
// (scripts/run-tests.mjs) and runs in `npm test`. Small tools (gzip, mkfifo, sh, a `node -e`
// one-liner) take milliseconds and are fine.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';

const HEAVY_PROGRAMS = new Set([
  'chromium', 'prometheus', 'promtool', 'alertmanager', 'amtool', 'prometheus-node-exporter', 'node_exporter',
  'vmagent', 'victoria-metrics', 'docker', 'docker-compose', 'ip', 'tc',
]);
/** Our CLI or bundle, or a TypeScript fixture through tsx: a whole bridge or agent. */
const HEAVY_ARGUMENT = /dist\/cli\.js$|fleetpulse\.cjs$|^tsx$/;

function heavy(name, command, args) {
  // exec and execSync take a shell command line; the others a program and its arguments.
  const words = name === 'exec' || name === 'execSync' ? String(command).trim().split(/\s+/) : [String(command), ...(Array.isArray(args) ? args.map(String) : [])];
  const program = basename(words[0] ?? '');
  if (HEAVY_PROGRAMS.has(program)) return program;
  return words.find((word) => HEAVY_ARGUMENT.test(word));
}

// Only inside a test file's process: the runner itself must still spawn the test files.
if (process.env.NODE_TEST_CONTEXT) {
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    const original = childProcess[name];
    childProcess[name] = function guarded(command, args, ...rest) {
      const found = name === 'fork' ? 'a forked node process' : heavy(name, command, args);
      if (found) {
        throw new Error(`a fast-lane test started ${found} (${name}): list the test in SYSTEM_DIRS or SYSTEM_FILES of scripts/run-tests.mjs so it runs in npm test only`);
      }
      return original.call(this, command, args, ...rest);
    };
  }
  syncBuiltinESMExports();
}
