import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SummaryInputs, summarize } from '../../../src/server/store/agent-summary.js';

describe('summarize', () => {
  it('picks cpu and memory percentages and computes root disk use', () => {
    const s = summarize([
      { name: 'fleetpulse_cpu_busy_average_percent', samples: [{ value: 12.5 }] },
      { name: 'fleetpulse_memory_used_percent', samples: [{ value: 40 }] },
      { name: 'node_filesystem_size_bytes', samples: [{ labels: { mountpoint: '/boot' }, value: 10 }, { labels: { mountpoint: '/' }, value: 200 }] },
      { name: 'node_filesystem_avail_bytes', samples: [{ labels: { mountpoint: '/' }, value: 50 }] },
    ]);
    assert.deepEqual(s, { cpuPercent: 12.5, memoryPercent: 40, diskPercent: 75 });
  });

  it('leaves unknown figures null and ignores malformed families', () => {
    assert.deepEqual(summarize([null, 'x', { name: 'fleetpulse_cpu_busy_average_percent', samples: [{ value: 'NaN' }] }, { name: 'node_filesystem_size_bytes', samples: 3 }]), {
      cpuPercent: null,
      memoryPercent: null,
      diskPercent: null,
    });
  });
});

describe('SummaryInputs', () => {
  it('follows new values reported by batch position, and keeps those not reported', () => {
    const inputs = SummaryInputs.of([
      { name: 'node_load1', samples: [{ value: 1 }] },
      { name: 'fleetpulse_cpu_busy_average_percent', samples: [{ value: 10 }] },
      { name: 'node_filesystem_size_bytes', samples: [{ labels: { mountpoint: '/boot' }, value: 10 }, { labels: { mountpoint: '/' }, value: 200 }] },
      { name: 'node_filesystem_avail_bytes', samples: [{ labels: { mountpoint: '/boot' }, value: 5 }, { labels: { mountpoint: '/' }, value: 150 }] },
    ]);
    assert.deepEqual([...inputs.families].sort(), [1, 2, 3]);
    inputs.update(new Map([[1, [55]], [3, [1, 50]]]));
    assert.deepEqual(inputs.summary(), { cpuPercent: 55, memoryPercent: null, diskPercent: 75 });
    // A value that turns NaN no longer counts; the previous finite one is not kept.
    inputs.update(new Map([[1, [NaN]]]));
    assert.equal(inputs.summary().cpuPercent, null);
  });
});
