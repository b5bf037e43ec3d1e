import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bandwidthOrder } from '../../../src/server/tasks/kind-bandwidth.js';
import { orderedPairs } from '../../../src/server/tasks/pairs.js';
import { RUN_LEAD_MS, slotAtOrAfter } from '../../../src/server/tasks/schedule.js';
import { runSpanMs } from '../../../src/server/tasks/task-kinds.js';

const T0 = Date.parse('2030-01-01T09:00:00Z');
const spec = { startMs: T0, endMs: T0 + 3600_000, periodSeconds: 600 };

describe('slotAtOrAfter', () => {
  it('is the start until the start has come', () => {
    assert.equal(slotAtOrAfter(spec, T0 - 86_400_000), T0);
    assert.equal(slotAtOrAfter(spec, T0), T0);
  });

  it('keeps to the grid start + k * period', () => {
    assert.equal(slotAtOrAfter(spec, T0 + 1), T0 + 600_000);
    assert.equal(slotAtOrAfter(spec, T0 + 600_000), T0 + 600_000);
    assert.equal(slotAtOrAfter(spec, T0 + 1_234_567), T0 + 1_800_000);
  });

  it('resumes after a restart at the next slot, without making up missed ones', () => {
    // Down from 09:05 to 09:37: the 09:10, 09:20 and 09:30 runs are gone; the next is 09:40.
    const restartedAt = T0 + 37 * 60_000;
    assert.equal(slotAtOrAfter(spec, restartedAt), T0 + 40 * 60_000);
  });

  it('has no slot at or after the end', () => {
    assert.equal(slotAtOrAfter(spec, T0 + 50 * 60_000 + 1), undefined); // the 10:00 slot is the end itself
    assert.equal(slotAtOrAfter({ ...spec, endMs: T0 + 600_001 }, T0 + 1), T0 + 600_000);
  });
});

describe('run length', () => {
  it('latency: the lead, the probes, 4 reply timeouts and the margin', () => {
    assert.equal(runSpanMs({ type: 'latency', members: ['a', 'b', 'c'], options: { count: 10, interval_ms: 10 } }), RUN_LEAD_MS + 100 + 4000 + 1000);
  });

  it('bandwidth: one slot per ordered pair, one after another', () => {
    const two = runSpanMs({ type: 'bandwidth', members: ['a', 'b'], options: { duration_ms: 1000 } });
    const three = runSpanMs({ type: 'bandwidth', members: ['a', 'b', 'c'], options: { duration_ms: 1000 } });
    assert.equal(three - two, 4 * (1000 + 2500));
  });
});

describe('bandwidthOrder', () => {
  it('keeps every pair once and spreads each agent\'s transfers', () => {
    const pairs = orderedPairs(['a', 'b', 'c', 'd']);
    const ordered = bandwidthOrder(pairs);
    assert.deepEqual([...ordered].sort(), [...pairs].sort());
    // No agent sends twice in a row.
    for (let i = 1; i < ordered.length; i++) assert.notEqual(ordered[i]![0], ordered[i - 1]![0], JSON.stringify(ordered));
  });
});
