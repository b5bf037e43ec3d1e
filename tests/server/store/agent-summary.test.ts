import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize } from '../../../src/server/store/agent-summary.js';

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
