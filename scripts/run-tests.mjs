#!/usr/bin/env node
// Runs every tests/**/*.test.ts with node's own test runner (through tsx), so the
// closing summary is node's: "# pass N / # fail N / # skipped N".
// Usage: node scripts/run-tests.mjs <dir> [more node --test flags]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const [root = 'tests', ...extra] = process.argv.slice(2);
// The Compose integration suite needs Docker and minutes; it runs as `npm run test:integration`.
const SEPARATE_SUITES = new Set([join(root, 'integration')]);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules' || SEPARATE_SUITES.has(path)) continue;
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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
