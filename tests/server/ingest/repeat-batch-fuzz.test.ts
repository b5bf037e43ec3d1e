import assert from 'node:assert/strict';
import { it } from 'node:test';
import { encodeMessage } from '../../../src/protocol/encode.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { feed } from '../../helpers/feed-store.js';
// The store's clock at the agents' batch times (the bridge refuses batches stamped far from its clock).
import { ManualTimers } from '../../helpers/manual-timers.js';

// Property: for any line, the repeat fast path either declines it or stores exactly what
// JSON.parse + the general path stores; it never accepts a line JSON.parse refuses.
// Lines are random byte-level mutations of a realistic second batch (seeded, so repeatable).

const ID = 'fuzz-1';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function store(): AgentStore {
  const s = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, timers: new ManualTimers() });
  s.connect({ id: ID, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: { dc: 'x"y' }, intervalMs: 5000 });
  return s;
}

function batch(values: number[]): MetricFamily[] {
  return [
    { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', samples: values.map((value, i) => ({ labels: { cpu: String(i), mode: 'idle' }, value })) },
    { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'Filesystem space available.', samples: [{ labels: { device: '/dev/vda', mountpoint: '/' }, value: values[0]! * 1e9 }] },
    { name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: 0.25 }] },
  ];
}

const line = (families: MetricFamily[], seq: number) => encodeMessage({ type: 'metrics', seq, timestamp_ms: 1_700_000_000_000 + seq, families }).slice(0, -1);

const ALPHABET = '0123456789.eE+-"\\ ,:{}[]nulNaInfabcxyz\u00e9';

function mutate(text: string, random: () => number): string {
  const chars = [...text];
  const edits = random() < 0.7 ? 1 : 2;
  for (let e = 0; e < edits; e++) {
    // Mostly hit numbers, where the fast path does its own parsing; sometimes anywhere.
    const numeric = chars.flatMap((c, i) => (/[0-9.eE+-]/.test(c) ? [i] : []));
    const at = random() < 0.7 && numeric.length > 0 ? numeric[Math.floor(random() * numeric.length)]! : Math.floor(random() * chars.length);
    const c = ALPHABET[Math.floor(random() * ALPHABET.length)]!;
    const op = random();
    if (op < 0.4) chars[at] = c;
    else if (op < 0.7) chars.splice(at, 0, c);
    else chars.splice(at, 1);
  }
  return chars.join('');
}

it('the repeat path never disagrees with JSON.parse and the general path (3000 mutated lines)', () => {
  const random = rng(20261123);
  const first = line(batch([1, 2, 3, 4]), 1);
  let repeated = 0;
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const values = [1, 2, 3, 4].map((v) => (random() < 0.5 ? v : v + Math.round(random() * 1e6) / 1e3));
    const second = mutate(line(batch(values), 2), random);
    let message: { type?: unknown; families?: unknown } | undefined;
    try {
      message = JSON.parse(second);
    } catch {
      message = undefined;
    }
    const fast = store();
    const general = store();
    feed(fast).batch(ID, JSON.parse(first).families);
    feed(general).batch(ID, JSON.parse(first).families);
    const took = feed(fast).repeat(ID, second);
    if (took === undefined) continue;
    repeated++;
    assert.ok(message !== undefined, `fast path accepted a line JSON.parse refuses: ${second}`);
    assert.equal(message.type, 'metrics', second);
    parsed++;
    feed(general).batch(ID, message.families as unknown[]);
    assert.equal(renderFamilies(fast.catalog), renderFamilies(general.catalog), `stored text differs for: ${second}`);
  }
  console.log(`# ${repeated} of 3000 mutated lines took the fast path`);
  assert.ok(repeated > 50, `only ${repeated} mutated lines took the fast path; the property was barely exercised`);
  assert.equal(parsed, repeated);
});

it('fast-check: any values (finite, special, huge, tiny) and any single edit of the line, the repeat path agrees with the general path', async () => {
  const fc = (await import('fast-check')).default;
  const first = line(batch([1, 2, 3, 4]), 1);
  const value = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e308, -1e-308, 5e-324, 2 ** 53 + 1));
  const edit = fc.record({ at: fc.nat(), char: fc.constantFrom(...ALPHABET), op: fc.constantFrom('replace', 'insert', 'delete', 'none') });
  let repeated = 0;
  fc.assert(
    fc.property(fc.array(value, { minLength: 4, maxLength: 4 }), edit, (values, e) => {
      const families = batch(values.map((v) => (Number.isFinite(v) ? v : 0)));
      const chars = [...line(families, 2)];
      const at = e.at % chars.length;
      if (e.op === 'replace') chars[at] = e.char;
      else if (e.op === 'insert') chars.splice(at, 0, e.char);
      else if (e.op === 'delete') chars.splice(at, 1);
      const second = chars.join('');
      const fast = store();
      const general = store();
      feed(fast).batch(ID, JSON.parse(first).families);
      feed(general).batch(ID, JSON.parse(first).families);
      if (feed(fast).repeat(ID, second) === undefined) return;
      repeated++;
      const message = JSON.parse(second) as { type: string; families: unknown[] }; // throws: the property fails
      assert.equal(message.type, 'metrics');
      feed(general).batch(ID, message.families);
      assert.equal(renderFamilies(fast.catalog), renderFamilies(general.catalog), second);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 300) * 3 },
  );
  assert.ok(repeated > 100, `only ${repeated} lines took the fast path`);
});
