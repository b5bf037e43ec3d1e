import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLoadavgCollector, parseLoadavg } from '../../../src/agent/collectors/loadavg.js';
import { assertGolden, fixturePaths, run } from './golden.js';

test('parseLoadavg reads the three averages', () => {
  assert.deepEqual(parseLoadavg('0.21 0.37 0.39 1/719 19737\n'), [0.21, 0.37, 0.39]);
});

test('parseLoadavg rejects a short or non-numeric file', () => {
  assert.throws(() => parseLoadavg('0.21 0.37'), /load15: expected a number, got nothing/);
  assert.throws(() => parseLoadavg('0.21 abc 0.39'), /load5: expected a number, got "abc"/);
  assert.throws(() => parseLoadavg(''), /load1/);
});

test('loadavg collector matches the golden file', async () => {
  await assertGolden('loadavg', await run(createLoadavgCollector(fixturePaths)));
});
