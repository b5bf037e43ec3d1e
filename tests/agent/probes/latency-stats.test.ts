import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeLatency, type ProbeSample } from '../../../src/agent/probes/latency-stats.js';

const close = (actual: number | null | undefined, expected: number, what: string): void => {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);
};

// Peer clock 1000 ms ahead of ours; forward 20 ms, reverse 30 ms, peer turnaround 1 ms, except
// probe 2 whose forward delay is 24 ms.
function sample(seq: number, forwardMs: number): ProbeSample {
  const t0Ms = 10_000 + seq * 10;
  const t1Ms = t0Ms + forwardMs + 1000;
  const t2Ms = t1Ms + 1;
  return { seq, t0Ms, t1Ms, t2Ms, t3Ms: t2Ms - 1000 + 30 };
}

describe('summarizeLatency', () => {
  const samples = [sample(3, 20), sample(0, 20), sample(2, 24)];

  it('computes RTT without the peer turnaround, and RFC 3550-style jitter in seq order', () => {
    const stats = summarizeLatency(5, 4, samples);
    close(stats.rtt?.minSeconds, 0.05, 'min');
    close(stats.rtt?.maxSeconds, 0.054, 'max');
    close(stats.rtt?.avgSeconds, (0.05 + 0.054 + 0.05) / 3, 'avg');
    // RTTs in seq order 50, 54, 50 ms: mean |diff| = 4 ms.
    close(stats.jitterSeconds, 0.004, 'jitter');
  });

  it('tells forward loss from reverse loss using the peer count', () => {
    const stats = summarizeLatency(5, 4, samples);
    assert.equal(stats.lossRatio, 2 / 5);
    assert.equal(stats.forward.lossRatio, 1 / 5);
    assert.equal(stats.reverse.lossRatio, 1 / 4);
    assert.deepEqual([stats.sent, stats.delivered, stats.replies], [5, 4, 3]);
  });

  it('corrects one-way delays with the clock offsets, and gives none without them', () => {
    const corrected = summarizeLatency(5, 4, samples, { self: 0, peer: 1000 });
    close(corrected.forward.delaySeconds, (20 + 24 + 20) / 3 / 1000, 'forward');
    close(corrected.reverse.delaySeconds, 0.03, 'reverse');
    close(corrected.forward.jitterSeconds, 0.004, 'forward jitter');
    close(corrected.reverse.jitterSeconds, 0, 'reverse jitter');
    // Both clocks offset by the same amount against the bridge: same answer.
    const bothShifted = summarizeLatency(5, 4, samples, { self: 500, peer: 1500 });
    close(bothShifted.forward.delaySeconds, (20 + 24 + 20) / 3 / 1000, 'forward, both offset');
    const uncorrected = summarizeLatency(5, 4, samples);
    assert.equal(uncorrected.forward.delaySeconds, null);
    assert.equal(uncorrected.reverse.jitterSeconds, null);
  });

  it('never reports fewer delivered probes than replies, and handles no replies', () => {
    assert.equal(summarizeLatency(5, 1, samples).delivered, 3);
    const none = summarizeLatency(5, 2, []);
    assert.equal(none.rtt, null);
    assert.equal(none.jitterSeconds, null);
    assert.equal(none.lossRatio, 1);
    assert.equal(none.forward.lossRatio, 3 / 5);
    assert.equal(none.reverse.lossRatio, 1);
    assert.equal(summarizeLatency(5, 0, []).reverse.lossRatio, null);
  });
});
