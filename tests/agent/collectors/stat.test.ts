import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStatCollector, parseStat } from '../../../src/agent/collectors/stat.js';
import { assertGolden, fixturePaths, run } from './golden.js';

const STAT = 'cpu0 1 2 3 4\nintr 100 1 2\nctxt 200\nbtime 1418183276\nprocesses 300\nprocs_running 2\nprocs_blocked 1\n';

test('parseStat reads the system-wide lines', () => {
  assert.deepEqual(parseStat(STAT), { intr: 100, ctxt: 200, btime: 1418183276, processes: 300, procsRunning: 2, procsBlocked: 1 });
});

test('parseStat names a missing or malformed line', () => {
  assert.throws(() => parseStat(STAT.replace('ctxt 200\n', '')), /no "ctxt" line/);
  assert.throws(() => parseStat(STAT.replace('ctxt 200', 'ctxt x')), /line 3 \(ctxt\): expected a number, got "x"/);
});

test('stat collector matches the golden file', async () => {
  await assertGolden('stat', await run(createStatCollector(fixturePaths)));
});
