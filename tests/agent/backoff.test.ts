import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../src/agent/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles the ceiling from 0.5 s up to the 30 s cap', () => {
    const ceiling = (attempt: number) => backoffDelayMs(attempt, DEFAULT_BACKOFF, () => 0.999999) + 1;
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 50].map(ceiling), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('draws the delay uniformly below the ceiling (full jitter)', () => {
    assert.equal(backoffDelayMs(3, DEFAULT_BACKOFF, () => 0), 0);
    assert.equal(backoffDelayMs(3, DEFAULT_BACKOFF, () => 0.5), 2000);
    const draws = Array.from({ length: 200 }, () => backoffDelayMs(10));
    assert.ok(draws.every((d) => d >= 0 && d < 30_000));
    assert.ok(new Set(draws).size > 100, 'delays are spread out, not in lockstep');
  });
});
