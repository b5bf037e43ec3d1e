import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLogger, isoTimestamp } from '../src/log.js';

test('isoTimestamp is what Date.prototype.toISOString returns, for any time from year 0 to 9999 and beyond', () => {
  for (const ms of [0, 1, -1, 999, 1_796_002_474_684, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(0, 0, 1), -62_167_219_200_001, 8.64e15, -8.64e15]) {
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  }
  fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => isoTimestamp(ms) === new Date(ms).toISOString()), { numRuns: 2000 });
  assert.throws(() => isoTimestamp(Number.NaN), RangeError);
});

test('a log line starts with the time of the event as an ISO 8601 UTC timestamp', () => {
  const lines: string[] = [];
  const before = Date.now();
  createLogger('info', { component: 'agent' }, (l) => lines.push(l)).info('connected', { bridge: '127.0.0.1:9700' });
  const after = Date.now();
  assert.equal(lines.length, 1);
  const line = lines[0] ?? '';
  const m = /^ts=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) level=info msg=connected component=agent bridge=127\.0\.0\.1:9700\n$/.exec(line);
  assert.ok(m?.[1] !== undefined, line);
  const at = Date.parse(m[1]);
  assert.ok(at >= before && at <= after, `${m[1]} within [${before}, ${after}]`);
});
