#!/usr/bin/env node
// Runs tests/**/*.test.ts with node's own test runner (through tsx), so the closing summary
// is node's: "# pass N / # fail N / # skipped N".
//
// Usage: node scripts/run-tests.mjs [--unit] <dir> [more node --test flags]
//   (default)  every test: what `npm test` and CI run.
//   --unit     the fast lane for the edit-test loop (`npm run test:unit`): every test outside
//              SYSTEM_DIRS and SYSTEM_FILES. Membership is by these lists, and checked: in this
//              lane a test that starts a heavy program (our CLI, a browser, Prometheus, Docker,
//              a network namespace: scripts/unit-lane-guard.mjs) fails, so it must be listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Tests that start our CLI, browsers, Prometheus or Alertmanager, network namespaces or Docker:
 * they run in `npm test` only. tests/integration (Docker, minutes) runs as `npm run test:integration`.
 */
export const SYSTEM_DIRS = ['alertmanager', 'bench', 'console', 'deploy', 'e2e', 'integration', 'parity', 'prometheus'];
/** The same, for files that sit beside the unit tests of their subject (relative to tests/). */
export const SYSTEM_FILES = [
  'agent/collectors/node-exporter-metadata.test.ts', // runs node_exporter
  'agent/textfile/parse-text-format.test.ts', // compares with promtool
  'server/auth/protected-mode.test.ts', // network namespaces
  'server/http/web-config.test.ts', // a real Prometheus scraping over https
  'helpers/victoria-metrics.test.ts', // runs victoria-metrics
];

const args = process.argv.slice(2);
const unit = args[0] === '--unit';
const [root = 'tests', ...extra] = unit ? args.slice(1) : args;
const skipped = new Set([join(root, 'integration'), ...(unit ? [...SYSTEM_DIRS, ...SYSTEM_FILES].map((path) => join(root, path)) : [])]);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules' || skipped.has(path)) continue;
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const files = findTests(root);
if (files.length === 0) {
  console.error(`no *.test.ts files under ${root}`);
  process.exit(1);
}
const preload = (name) => ['--import', fileURLToPath(new URL(name, import.meta.url))];
const guard = [...preload('./assert-preload.mjs'), ...(unit ? preload('./unit-lane-guard.mjs') : [])];
// Unit test files mostly wait on sockets and timers: four at once, whatever the core count
// (node's default is one fewer than the cores, i.e. one at a time on two).
const concurrency = unit ? ['--test-concurrency=4'] : [];
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', ...guard, '--test', '--test-reporter=spec', ...concurrency, ...extra, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
