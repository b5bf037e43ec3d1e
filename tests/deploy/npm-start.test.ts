import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { eventually } from '../helpers/http.js';

// README's first command. `npm start` must hand a signal sent to npm alone (a process manager,
// `kill -INT <npm pid>`) to the demo, which then stops cleanly. The copy builds into its own dist/,
// so the other tests' dist/ is never rewritten under them.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-npm-start-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the demo as npm\'s own child (exec), so SIGINT to npm stops it cleanly', async () => {
    for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(ROOT, file), join(dir, file));
    for (const link of ['node_modules', 'src', 'console', 'scripts']) symlinkSync(join(ROOT, link), join(dir, link));
    const npm = spawn('npm', ['start', '--', '--http-port', '0', '--ingest-port', '0', '--probe-port', '0'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', FLEETPULSE_DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (c: Buffer) => (out += c.toString()));
    npm.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => out.includes('connected to bridge'), 150_000, 'the demo runs and its agent connects');
      npm.kill('SIGINT'); // npm alone, not its process group
      assert.equal(await exited, 0, out);
      assert.match(out, /SIGINT received, stopping/);
      assert.doesNotMatch(out, /FP_SHUTTING_DOWN|will reconnect/);
    } finally {
      npm.kill('SIGKILL');
    }
  });
});
