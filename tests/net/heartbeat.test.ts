import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Heartbeat } from '../../src/net/heartbeat.js';
import { FakeTimers } from '../helpers/fake-timers.js';

/** A clock the test moves by hand. */
function fakeTimers() {
  const timers = new FakeTimers();
  return { timers, advance: (ms: number) => timers.advance(ms), active: () => timers.pending };
}

describe('Heartbeat', () => {
  it('pings every interval while the peer keeps talking', () => {
    const clock = fakeTimers();
    let pings = 0;
    let timeouts = 0;
    const hb = new Heartbeat({ intervalMs: 1000, timeoutMs: 3000, sendPing: () => pings++, onTimeout: () => timeouts++, timers: clock.timers });
    hb.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      hb.received();
    }
    assert.equal(pings, 10);
    assert.equal(timeouts, 0);
    hb.stop();
    assert.equal(clock.active(), 0);
  });

  it('with pingOnlyWhenIdle, pings only after an interval in which nothing was sent', () => {
    const clock = fakeTimers();
    let pings = 0;
    const hb = new Heartbeat({ intervalMs: 1000, timeoutMs: 3000, pingOnlyWhenIdle: true, sendPing: () => pings++, onTimeout: () => assert.fail('no timeout'), timers: clock.timers });
    hb.start();
    // Sending every 600 ms (a batch, a pong): never idle for a whole interval, so no pings.
    for (let i = 0; i < 10; i++) {
      clock.advance(600);
      hb.sent();
      hb.received();
    }
    assert.equal(pings, 0);
    // Then silence on our side (last send at 6000 ms): a ping once a whole interval passed.
    clock.advance(999);
    assert.equal(pings, 0);
    clock.advance(1);
    assert.equal(pings, 1);
    hb.stop();
  });

  it('with pingAtLeastEvery, pings a busy link every that many intervals (round trips keep being measured)', () => {
    const clock = fakeTimers();
    const pingedAt: number[] = [];
    const hb = new Heartbeat({ intervalMs: 1000, timeoutMs: 3000, pingOnlyWhenIdle: true, pingAtLeastEvery: 4, sendPing: () => pingedAt.push(clock.timers.now()), onTimeout: () => assert.fail('no timeout'), timers: clock.timers });
    const start = clock.timers.now();
    hb.start();
    // Busy: something sent every 500 ms, for 12 intervals.
    for (let i = 0; i < 24; i++) {
      clock.advance(500);
      hb.sent();
      hb.received();
    }
    assert.deepEqual(pingedAt.map((t) => t - start), [4000, 8000, 12000]);
    // Idle again: a ping every interval.
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      hb.received();
    }
    assert.deepEqual(pingedAt.map((t) => t - start), [4000, 8000, 12000, 13000, 14000]);
    hb.stop();
  });

  it('declares the peer dead once it was silent longer than the timeout, and stops', () => {
    const clock = fakeTimers();
    let silent = -1;
    const hb = new Heartbeat({ intervalMs: 1000, timeoutMs: 3000, sendPing: () => {}, onTimeout: (ms) => (silent = ms), timers: clock.timers });
    hb.start();
    clock.advance(3000);
    assert.equal(silent, -1, 'exactly at the timeout is still alive');
    clock.advance(1000);
    assert.equal(silent, 4000);
    assert.equal(clock.active(), 0, 'no more ticks after the timeout');
  });
});
