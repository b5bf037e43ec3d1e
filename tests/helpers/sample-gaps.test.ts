import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeGaps, gapReport } from './sample-gaps.js';

// The outage tests judge "no gap > 2 intervals" with this: it must see every kind of hole.

const window = { fromMs: 10_000, toMs: 20_000, intervalMs: 1000 };
const steady = Array.from({ length: 11 }, (_, i) => 10_000 + i * 1000);

describe('gapReport', () => {
  it('a sample every interval: worst gap one interval, found as expected or one more', () => {
    const report = gapReport(steady, window);
    assert.equal(report.expected, 10);
    assert.equal(report.found, 11);
    assert.equal(report.duplicates, 0);
    assert.equal(report.worstGapMs, 1000);
  });

  it('a hole in the middle is the worst gap, with where it is', () => {
    const holed = steady.filter((t) => t < 13_000 || t > 17_000);
    const report = gapReport(holed, window);
    assert.equal(report.found, 6);
    assert.equal(report.worstGapMs, 6000);
    assert.deepEqual([report.worstGapFromMs, report.worstGapToMs], [12_000, 18_000]);
  });

  it('the edges of the window count: a series that stops early or starts late has a gap there', () => {
    assert.equal(gapReport(steady.filter((t) => t <= 14_000), window).worstGapMs, 6000);
    const late = gapReport(steady.filter((t) => t >= 15_500), window);
    assert.equal(late.worstGapMs, 6000, 'from the window start to the first sample at 16 s');
    assert.deepEqual([late.worstGapFromMs, late.worstGapToMs], [10_000, 16_000]);
    assert.equal(gapReport([], window).worstGapMs, 10_000, 'nothing at all: the whole window');
  });

  it('duplicates (a batch delivered twice) are counted, not found twice, and order does not matter', () => {
    const twice = [...steady, 12_000, 13_000].reverse();
    const report = gapReport(twice, window);
    assert.equal(report.found, 11);
    assert.equal(report.duplicates, 2);
    assert.equal(report.worstGapMs, 1000);
  });

  it('samples outside the window are ignored', () => {
    const report = gapReport([0, 5000, ...steady, 25_000], window);
    assert.equal(report.found, 11);
    assert.equal(report.duplicates, 0);
  });

  it('an agent stalled under load: uneven stamps, judged by the largest step', () => {
    const uneven = [10_000, 10_900, 12_700, 13_000, 14_950, 16_000, 17_500, 18_400, 20_000];
    const report = gapReport(uneven, window);
    assert.equal(report.worstGapMs, 1950);
    assert.ok(report.worstGapMs <= 2 * window.intervalMs);
  });

  it('refuses a window that ends before it starts or a non-positive interval', () => {
    assert.throws(() => gapReport(steady, { ...window, toMs: 0 }), /ends .* before it starts/);
    assert.throws(() => gapReport(steady, { ...window, intervalMs: 0 }), /interval must be positive/);
  });

  it('describeGaps says expected, found, duplicates and the worst gap with its place', () => {
    const line = describeGaps(gapReport(steady.filter((t) => t !== 15_000), window));
    assert.match(line, /expected ~10, found 10, duplicates 0, worst gap 2000 ms \(1970-01-01T00:00:14\.000Z\.\.1970-01-01T00:00:16\.000Z\)/);
  });
});
