import assert from 'node:assert/strict';
import { it } from 'node:test';
import { encodeMessage } from '../../../src/protocol/encode.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { feed } from '../../helpers/feed-store.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// Regression: a metrics line that ends inside a number (seq, timestamp_ms or a sample value)
// made the repeat path read digits past the end of the line forever (charCodeAt gives NaN
// there), freezing the bridge. Such a line is not a repeat: the general path refuses it.
// (A regression hangs this file: the loop is synchronous, so no test timeout can end it.)

const ID = 'cut-1';

function store(): AgentStore {
  const s = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, timers: new ManualTimers() });
  s.connect({ id: ID, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: 5000 });
  return s;
}

const families = (value: number): MetricFamily[] => [{ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value }] }];
const line = (value: number, timestampMs: number, seq: number) => encodeMessage({ type: 'metrics', seq, timestamp_ms: timestampMs, families: families(value) }).slice(0, -1);

it('a line cut off after any of its digits is declined by the repeat path, before and after a template exists', () => {
  const s = store();
  const now = s.now();
  feed(s).batch(ID, families(0.25), now);
  // Second line: read against the rendered layout; third: against the previous line (template).
  for (const [value, seq] of [[0.5, 2], [0.75, 3]] as const) {
    const full = line(value, now + seq, seq);
    for (let end = 1; end < full.length; end++) {
      if (!/[0-9]/.test(full[end - 1]!)) continue;
      assert.equal(feed(s).repeat(ID, full.slice(0, end)), undefined, `accepted ${full.slice(0, end)}`);
    }
    assert.ok(feed(s).repeat(ID, full), `the whole line ${full} is a repeat`);
  }
});
