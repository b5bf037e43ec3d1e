import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BacklogReport } from '../../../src/agent/outbox/backlog-report.js';
import { batch, memoryOutbox, recordingLog } from './helpers.js';

const T0 = 1_800_000_000_000;

it('says "outbox backlog delivered" once, only when every batch found at the reconnect is acknowledged', () => {
  const log = recordingLog();
  const report = new BacklogReport(log);
  const outbox = memoryOutbox();
  for (let n = 1; n <= 3; n++) outbox.add(batch(n, 10), T0 + n * 1000);
  report.lost(outbox);
  const fields = report.connected(outbox, T0 + 4000);
  assert.deepEqual(fields, { outbox_batches: 3, outbox_bytes: outbox.bytes, outbox_oldest_age_s: 3, outbox_dropped_while_away: 0 });
  const delivered = () => log.lines.filter((l) => l.msg === 'outbox backlog delivered');
  outbox.add(batch(4, 10), T0 + 5000); // a fresh batch after the reconnect
  for (const seq of [4, 3, 1]) {
    outbox.ack(seq);
    report.progress(outbox, T0 + 6000);
  }
  assert.deepEqual(delivered(), [], 'batch 2 of the backlog still waits (only one batch is left, but it is part of the backlog)');
  outbox.add(batch(5, 10), T0 + 7000);
  outbox.ack(2);
  report.progress(outbox, T0 + 8000);
  report.progress(outbox, T0 + 9000);
  assert.equal(delivered().length, 1);
  assert.equal(delivered()[0]!.fields.batches_at_reconnect, 3);
});
