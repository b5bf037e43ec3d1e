// Preloaded into each test file of `npm run test:unit`: a unit test starts no child process.
// One that needs a process, a browser, Prometheus or a namespace belongs in a system folder
// (SYSTEM_DIRS in scripts/run-tests.mjs) and runs in `npm test`. gzip and gunzip, the
// reference decoders our gzip output is checked with, take milliseconds and are allowed.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';

const ALLOWED = new Set(['gzip', 'gunzip']);

// Only inside a test file's process: the runner itself must still spawn the test files.
if (process.env.NODE_TEST_CONTEXT) {
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    const original = childProcess[name];
    childProcess[name] = function guarded(command, ...rest) {
      // exec and execSync take a shell command line; the others a program.
      const program = basename(name === 'exec' || name === 'execSync' ? String(command).trim().split(/\s+/)[0] : String(command));
      if (!ALLOWED.has(program)) {
        throw new Error(`a unit test started a child process (${name} ${program}): move it to a system folder (scripts/run-tests.mjs SYSTEM_DIRS) so it runs in npm test`);
      }
      return original.call(this, command, ...rest);
    };
  }
  syncBuiltinESMExports();
}
