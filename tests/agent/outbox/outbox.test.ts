import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IN_FLIGHT_TIMEOUT_MS } from '../../../src/agent/outbox/outbox.js';
import { outboxFamilies } from '../../../src/agent/outbox/outbox-metrics.js';
import { AGENT_FLEETPULSE_FAMILIES } from '../../../src/protocol/known-families.js';
import { batch, memoryOutbox, recordingLog } from './helpers.js';

const T0 = 1_800_000_000_000;
const INTERVAL = 5000;

describe('Outbox', () => {
  it('keeps every unacknowledged batch, compressed once the next one arrives, and forgets acked ones', () => {
    const outbox = memoryOutbox();
    const first = outbox.add(batch(1), T0);
    const lineBytes = first.bytes;
    assert.ok(first.line !== undefined, 'a fresh batch stays as its wire line');
    outbox.add(batch(2), T0 + INTERVAL);
    assert.equal(first.line, undefined, 'a batch still waiting when the next arrives is compressed');
    assert.ok(first.bytes * 3 < lineBytes, `compressed ${first.bytes} bytes from ${lineBytes}`);
    assert.match(outbox.lineOf(first)!, /^\{"type":"metrics","seq":1,"timestamp_ms":1800000000000,"families":\[/, 'read back as the same line');
    outbox.ack(1);
    outbox.ack(2);
    assert.deepEqual({ batches: outbox.stats().batches, bytes: outbox.bytes }, { batches: 0, bytes: 0 });
  });

  it('when full drops the oldest first, counts each drop, and stays within its byte limit', () => {
    const log = recordingLog();
    const maxBytes = 64 * 1024;
    const outbox = memoryOutbox({ maxBytes, log });
    for (let n = 1; n <= 200; n++) {
      outbox.add(batch(n), T0 + n * INTERVAL);
      assert.ok(outbox.bytes <= maxBytes, `after batch ${n}: ${outbox.bytes} bytes held, limit ${maxBytes}`);
    }
    const { batches, dropped } = outbox.stats();
    assert.ok(batches > 10 && batches < 200, `${batches} batches fit`);
    assert.equal(dropped.full, 200 - batches, 'every batch that is gone was counted as dropped');
    // The ones kept are the newest, in order: the next to send from the backlog is the oldest kept.
    assert.equal(outbox.nextBacklog(T0 + 201 * INTERVAL)?.seq, 200 - batches + 1);
    assert.equal(log.lines.filter((l) => l.level === 'warn').length, 1, 'one warning for the outage, not one per dropped batch');
  });

  it('drops batches older than the age limit, counted as too_old', () => {
    const outbox = memoryOutbox({ maxAgeMs: 60_000 });
    for (let n = 0; n < 20; n++) outbox.add(batch(n), T0 + n * INTERVAL);
    // The newest is at +95 s: batches collected before +35 s are past the 60 s limit.
    assert.equal(outbox.stats().dropped.too_old, 7);
    assert.equal(outbox.stats().oldestTimestampMs, T0 + 7 * INTERVAL);
  });

  it('drops a batch the bridge refused as a whole at once, counted as refused, in flight or not', () => {
    const outbox = memoryOutbox();
    const a = outbox.add(batch(1), T0);
    outbox.add(batch(2), T0 + INTERVAL);
    outbox.markSent(a, T0, false);
    outbox.refused(1);
    outbox.refused(2);
    outbox.refused(3); // unknown (already gone): nothing happens
    assert.deepEqual({ batches: outbox.size, inFlight: outbox.inFlight, bytes: outbox.bytes, refused: outbox.stats().dropped.refused }, { batches: 0, inFlight: 0, bytes: 0, refused: 2 });
  });

  it('sends a batch again that was neither acknowledged nor refused within the in-flight timeout', () => {
    const outbox = memoryOutbox();
    const a = outbox.add(batch(1), T0);
    outbox.markSent(a, T0, false);
    outbox.add(batch(2), T0 + IN_FLIGHT_TIMEOUT_MS - 1);
    assert.equal(outbox.nextBacklog(T0 + IN_FLIGHT_TIMEOUT_MS), undefined, 'still in flight within the timeout');
    outbox.add(batch(3), T0 + IN_FLIGHT_TIMEOUT_MS + 1);
    assert.equal(outbox.nextBacklog(T0 + IN_FLIGHT_TIMEOUT_MS + 1)?.seq, 1, 'unsent again after it');
  });

  it('reports itself in families the bridge accepts from agents', () => {
    const outbox = memoryOutbox({ maxBytes: 64 * 1024 });
    for (let n = 1; n <= 100; n++) outbox.add(batch(n), T0 + n * INTERVAL);
    const now = T0 + 101 * INTERVAL;
    const families = outboxFamilies(outbox.stats(), outbox.maxBytes, now);
    for (const f of families) assert.ok(AGENT_FLEETPULSE_FAMILIES.has(f.name), `${f.name} is allowed by the bridge`);
    const value = (name: string, reason?: string) => families.find((f) => f.name === name)!.samples.find((s) => reason === undefined || s.labels?.reason === reason)!.value;
    const { batches, bytes, dropped, oldestTimestampMs } = outbox.stats();
    assert.equal(value('fleetpulse_agent_buffer_batches'), batches);
    assert.equal(value('fleetpulse_agent_buffer_bytes'), bytes);
    assert.equal(value('fleetpulse_agent_buffer_max_bytes'), 64 * 1024);
    assert.equal(value('fleetpulse_agent_buffer_oldest_age_seconds'), (now - oldestTimestampMs!) / 1000);
    assert.equal(value('fleetpulse_agent_buffer_dropped_batches_total', 'full'), dropped.full);
    assert.equal(value('fleetpulse_agent_buffer_dropped_batches_total', 'corrupt'), 0, 'every reason is present from the start');
  });
});
