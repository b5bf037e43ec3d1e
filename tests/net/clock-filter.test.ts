import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockFilter } from '../../src/net/clock-filter.js';

/** An exchange with a peer whose clock is offsetMs ahead, with the given one-way delays. */
function exchange(f: ClockFilter, t0: number, offsetMs: number, outMs: number, backMs: number, turnaroundMs = 0.2): boolean {
  const t1 = t0 + outMs + offsetMs;
  const t2 = t1 + turnaroundMs;
  const t3 = t2 - offsetMs + backMs;
  return f.add(t0, t1, t2, t3);
}

describe('ClockFilter', () => {
  it('computes offset = ((t1 - t0) + (t2 - t3)) / 2 and the round trip', () => {
    const f = new ClockFilter();
    // The example of docs/protocol.md section 7.
    assert.ok(f.add(1000, 1525, 1526, 1010));
    assert.deepEqual(f.best(), { offsetMs: 520.5, delayMs: 9 });
  });

  it('is exact on a symmetric path and off by half the asymmetry otherwise', () => {
    const f = new ClockFilter();
    exchange(f, 0, 250, 3, 3);
    assert.equal(f.best()!.offsetMs, 250);
    const g = new ClockFilter();
    exchange(g, 0, 250, 9, 1);
    assert.equal(g.best()!.offsetMs, 254);
  });

  it('keeps the lowest-delay sample of the last 8, as NTP\'s clock filter', () => {
    const f = new ClockFilter(8);
    exchange(f, 0, -40, 0.5, 0.5); // quick and exact
    for (let i = 1; i <= 7; i++) exchange(f, i * 1000, -40, 20, 2); // queued on the way out: skewed by +9 ms
    assert.equal(f.best()!.offsetMs, -40);
    exchange(f, 9000, -40, 20, 2); // the quick sample falls out of the window
    assert.equal(f.best()!.offsetMs, -31);
  });

  it('refuses exchanges that cannot be real and keeps nothing from them', () => {
    const f = new ClockFilter();
    assert.equal(f.add(100, 50, 40, 120), false); // pong sent before the ping arrived
    assert.equal(f.add(100, 50, 60, 90), false); // received before sent
    assert.equal(f.add(100, 500, 600, 150), false); // turnaround longer than the round trip
    assert.equal(f.add(Number.NaN, 1, 2, 3), false);
    assert.equal(f.best(), undefined);
  });
});
