import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENTS_PER_SHARD, ShardPlanner, WINDOWS_PER_INTERVAL } from '../../../src/server/store/shard-planner.js';

const INTERVAL = 8000; // 8 windows of 1 s
const WINDOW = INTERVAL / WINDOWS_PER_INTERVAL;

describe('ShardPlanner', () => {
  it('puts agents pushing in the same window of the same interval together', () => {
    const p = new ShardPlanner();
    const a = p.join(INTERVAL, 10 * INTERVAL + 100);
    const b = p.join(INTERVAL, 99 * INTERVAL + 900);
    const c = p.join(INTERVAL, 10 * INTERVAL + 2 * WINDOW + 5);
    const d = p.join(INTERVAL * 2, 10 * INTERVAL + 100);
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.notEqual(a, d, 'another interval, another shard');
    assert.equal(a.members, 2);
    assert.equal(c.window, 2);
  });

  it('opens another shard when one is full, and reuses ids of emptied shards', () => {
    const p = new ShardPlanner();
    const first = p.join(INTERVAL, 0);
    for (let i = 1; i < AGENTS_PER_SHARD; i++) assert.equal(p.join(INTERVAL, i % WINDOW), first);
    const second = p.join(INTERVAL, 1);
    assert.notEqual(second, first);
    p.leave(first);
    assert.equal(p.join(INTERVAL, 2), first, 'room again in the first');
    p.leave(second);
    assert.equal(p.get(second.id), undefined);
    assert.equal(p.join(INTERVAL, 3 * WINDOW).id, second.id, 'id reused');
  });

  it('moves an agent only after several batches outside its window and the ones next to it', () => {
    const p = new ShardPlanner();
    const shard = p.join(INTERVAL, 3 * WINDOW);
    const misses = { count: 0 };
    assert.equal(p.misplaced(shard, 4 * WINDOW + 10, misses), false, 'the next window is near enough');
    assert.equal(p.misplaced(shard, 7 * WINDOW, misses), false);
    assert.equal(p.misplaced(shard, 7 * WINDOW, misses), false);
    assert.equal(p.misplaced(shard, 3 * WINDOW, misses), false, 'back in its window: count starts over');
    for (let i = 0; i < 2; i++) p.misplaced(shard, 6 * WINDOW, misses);
    assert.equal(p.misplaced(shard, 6 * WINDOW, misses), true);
  });

  it('counts the window and a margin either side as active, across the interval wrap', () => {
    const p = new ShardPlanner();
    const shard = p.join(INTERVAL, 5 * WINDOW + 1);
    assert.equal(p.isActive(shard, 5 * WINDOW + 500), true);
    assert.equal(p.isActive(shard, 5 * WINDOW - 100), true, 'margin before');
    assert.equal(p.isActive(shard, 6 * WINDOW + 100), true, 'margin after');
    assert.equal(p.isActive(shard, 7 * WINDOW), false);
    assert.equal(p.isActive(shard, 2 * WINDOW), false);
    const last = p.join(INTERVAL, INTERVAL - 1);
    assert.equal(p.isActive(last, INTERVAL + 100), true, 'margin after wraps to the next interval');
    assert.equal(p.isActive(last, INTERVAL + WINDOW), false);
  });
});
