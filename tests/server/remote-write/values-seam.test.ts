import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readValue } from '../../../src/server/text-format/read-value.js';
import { batchBytes, WriteRequestEncoder } from '../../../src/server/remote-write/write-request.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { RenderedFamily } from '../../../src/server/text-format/rendered-family.js';
import { feed } from '../../helpers/feed-store.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// The numbers seam between ingest and the remote_write encoder: the encoder takes a family's
// values from RenderedFamily.values (kept by the general path and, in place, by the repeat
// path), not from its text. Both must say the same: whatever lines an agent sends — repeats
// with values of any spelling, replays (older batches: new objects on the general path), other
// label sets — every stored family's values are its text's, and what the long-lived encoder
// (templates, label caches) writes is byte for byte what a fresh encoder writes from the text.

const ID = 'seam-1';
const T0 = 1_700_000_000_000;

/** Value spellings: canonical or not (the repeat path re-renders those), NaN and infinities, -0, exponents. */
const token = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom('"NaN"', '"+Inf"', '"-Inf"', '-0', '1.50', '1e3', '2E-7', '0.0000001', '123456789012345678', '-0.0', '100'),
);

/** One agent batch: two families whose label values come from small pools (so label sets repeat or change). */
const batchShape = fc.record({
  cpus: fc.uniqueArray(fc.constantFrom('0', '1', '2', '3'), { minLength: 1, maxLength: 4 }),
  mount: fc.constantFrom('/', '/srv', '/a b'),
  tokens: fc.array(token, { minLength: 5, maxLength: 5 }),
  /** Other label sets than the previous batch's (else its cpus and mount are kept: a repeat). */
  relabel: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  /** Sent as an older batch (a replay from the agent's outbox). */
  older: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

function line(shape: { cpus: string[]; mount: string; tokens: string[] }, seq: number, timestampMs: number): string {
  const cpu = shape.cpus.map((c, i) => `{"labels":{"cpu":"${c}","mode":"idle"},"value":${shape.tokens[i]}}`).join(',');
  return (
    `{"type":"metrics","seq":${seq},"timestamp_ms":${timestampMs},"families":[` +
    `{"name":"node_cpu_seconds_total","type":"counter","help":"Seconds the CPUs spent in each mode.","samples":[${cpu}]},` +
    `{"name":"node_filesystem_avail_bytes","type":"gauge","help":"Filesystem space available.","samples":[{"labels":{"mountpoint":"${shape.mount}"},"value":${shape.tokens[4]}}]},` +
    `{"name":"node_load1","type":"gauge","help":"1m load average.","samples":[{"value":${shape.tokens[3]}}]}]}`
  );
}

/** A value as JSON.parse gives it, as a line shows it (-0 prints as 0). */
function valueSent(value: number | string): number {
  if (typeof value === 'number') return value === 0 ? 0 : value;
  return value === 'NaN' ? NaN : value === '+Inf' ? Infinity : -Infinity;
}

/** The values a family's text shows, line by line (the value follows the line's last space). */
function valuesOfText(text: string): number[] {
  const values: number[] = [];
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    values.push(readValue(text, text.lastIndexOf(' ', end) + 1, end));
    start = end + 1;
  }
  return values;
}

describe('values seam (ingest -> remote_write encoder)', () => {
  it('encodes from values exactly what the text says, for repeats, replays and changed label sets', () => {
    let repeats = 0;
    let general = 0;
    fc.assert(
      fc.property(fc.array(batchShape, { minLength: 1, maxLength: 10 }), (shapes) => {
        const store = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, timers: new ManualTimers(T0 + 100) });
        store.connect({ id: ID, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: 5000 });
        const intake = feed(store);
        const encoder = new WriteRequestEncoder([['job', 'fleetpulse']]);
        const agent = {};
        let labels = shapes[0]!;
        shapes.forEach((drawn, n) => {
          if (drawn.relabel) labels = drawn;
          const shape = { ...drawn, cpus: labels.cpus, mount: labels.mount };
          const timestampMs = shape.older ? T0 + 50 - n : T0 + 50 + n;
          const text = line(shape, n, timestampMs);
          let families: readonly RenderedFamily[];
          const repeat = intake.repeat(ID, text);
          if (repeat) {
            repeats++;
            families = repeat.families;
          } else {
            general++;
            families = intake.batch(ID, (JSON.parse(text) as { families: unknown[] }).families, timestampMs).families;
          }
          // The batch's own values (whichever earlier line the repeat path compared this one with)...
          const sent = (JSON.parse(text) as { families: { samples: { value: number | string }[] }[] }).families;
          families.forEach((family, i) => assert.deepEqual([...family.values], sent[i]!.samples.map((s) => valueSent(s.value)), `${family.name}: the line's values`));
          // ...and what the text shows.
          for (const family of families) {
            assert.deepEqual([...family.values], valuesOfText(family.text), `${family.name}: values are the text's`);
          }
          const fromValues = encoder.encodeBatch(families, timestampMs, agent);
          // A fresh encoder, fresh objects whose values are read back from the text: no template, no cache.
          const fromText = new WriteRequestEncoder([['job', 'fleetpulse']]).encodeBatch(
            families.map((f) => new RenderedFamily(f.name, f.type, f.help, f.text, valuesOfText(f.text))),
            timestampMs,
          );
          assert.equal(fromValues.samples, fromText.samples);
          assert.equal(fromValues.size, fromText.size);
          assert.ok(batchBytes(fromValues).equals(batchBytes(fromText)), `batch ${n}: encoded bytes differ`);
        });
      }),
      { numRuns: 300 },
    );
    // Both paths were exercised (else the property says little).
    assert.ok(repeats > 100 && general > 100, `repeats ${repeats}, general ${general}`);
  });
});
