import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMeminfoCollector, memoryUsedPercent, parseMeminfo } from '../../../src/agent/collectors/meminfo.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

test('parseMeminfo names fields as node_exporter does', () => {
  const fields = parseMeminfo('MemTotal:  100 kB\nActive(anon):   2 kB\nHugePages_Total:  4\n\n');
  assert.deepEqual(fields, [
    { key: 'MemTotal_bytes', value: 102400 },
    { key: 'Active_anon_bytes', value: 2048 },
    { key: 'HugePages_Total', value: 4 },
  ]);
});

test('parseMeminfo rejects malformed lines instead of emitting NaN', () => {
  assert.throws(() => parseMeminfo('MemTotal: lots kB\n'), /line 1 \(MemTotal\): expected a number, got "lots"/);
  assert.throws(() => parseMeminfo('MemTotal 100 kB\n'), /line 1: expected "Key: value \[kB\]"/);
  assert.throws(() => parseMeminfo('MemTotal: 100 MB\n'), /unknown unit "MB"/);
  assert.throws(() => parseMeminfo('Mem-Total: 100 kB\n'), /cannot be a metric name/);
});

test('memoryUsedPercent needs MemTotal and MemAvailable', () => {
  assert.equal(memoryUsedPercent(parseMeminfo('MemTotal: 200 kB\nMemAvailable: 50 kB\n')), 75);
  assert.equal(memoryUsedPercent(parseMeminfo('MemTotal: 200 kB\nMemFree: 50 kB\n')), undefined);
});

test('meminfo collector matches the golden file', async () => {
  const families = await run(createMeminfoCollector(fixturePaths));
  // Hand check of the fixture: MemTotal 24683656 kB, MemAvailable 24237532 kB.
  assert.equal(valueOf(families, 'node_memory_MemTotal_bytes'), 24683656 * 1024);
  assert.equal(valueOf(families, 'node_memory_HugePages_Total'), 4);
  assert.equal(valueOf(families, 'fleetpulse_memory_used_percent'), (100 * (24683656 - 24237532)) / 24683656);
  await assertGolden('meminfo', families);
});
