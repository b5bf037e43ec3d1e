import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeMessage } from '../../../src/protocol/encode.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { timestampProblem } from '../../../src/server/ingest/batch-intake.js';
import { readRepeat, type LineTemplate } from '../../../src/server/ingest/repeat-batch.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { defaultIngestLimits } from '../../helpers/bridge.js';
import { feed } from '../../helpers/feed-store.js';
// The store's clock at the agents' batch times (the bridge refuses batches stamped far from its clock).
import { ManualTimers } from '../../helpers/manual-timers.js';

// From an agent's third line on, the repeat path compares a line with the agent's previous
// line (its LineTemplate) instead of with the rendered text. These tests hold that path to
// the same rule as the rest: it accepts only what JSON.parse and the general path accept,
// and stores exactly what they store. A line read with a wrong label prefix can only have
// been taken by the template (the rendered-text comparison needs the right prefix), which
// tells the two ways apart.

const ID = 'tmpl-1';
const T0 = 1_700_000_000_000;
const WRONG_PREFIX = 'instance="not-this-agent"';

function store(): AgentStore {
  const s = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, timers: new ManualTimers(T0) });
  s.connect({ id: ID, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: { dc: 'a b' }, intervalMs: 5000 });
  return s;
}

type Value = number | 'NaN' | '+Inf' | '-Inf';

function batch(v: readonly Value[]): MetricFamily[] {
  return [
    { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', samples: [0, 1, 2].map((i) => ({ labels: { cpu: String(i), mode: 'idle' }, value: v[i]! })) },
    { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'Filesystem space available.', unit: 'bytes', samples: [{ labels: { device: '/dev/vda', mountpoint: '/' }, value: v[3]! }] },
    { name: 'node_filesystem_size_bytes', type: 'gauge', help: 'Filesystem size.', samples: [{ labels: { device: '/dev/vda', mountpoint: '/' }, value: v[4]! }] },
    { name: 'node_boot_time_seconds', type: 'gauge', help: 'Node boot time, in unixtime.', samples: [] },
    { name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: v[5]! }] },
  ];
}

const line = (v: readonly Value[], seq: number, timestampMs = T0 + seq) => encodeMessage({ type: 'metrics', seq, timestamp_ms: timestampMs, families: batch(v) }).slice(0, -1);

/** Stores one line as the session does: the repeat path with the template, else JSON.parse and the general path. */
class FastAgent {
  readonly store = store();
  template: LineTemplate | undefined;
  /** Lines the template alone accepted. */
  byTemplate = 0;

  take(text: string): 'repeat' | 'general' | 'refused' {
    const basis = this.store.repeatBasis(ID);
    if (basis) {
      const viaTemplate = this.template && readRepeat(text, basis.layout, WRONG_PREFIX, basis.watched, this.template);
      const repeat = readRepeat(text, basis.layout, basis.labelPrefix, basis.watched, this.template);
      if (viaTemplate) {
        this.byTemplate++;
        assert.ok(repeat, 'the template took a line the rendered-text comparison would not have been asked about');
        assert.deepEqual(viaTemplate.changes, repeat.changes);
      }
      // As BatchIntake.repeat(): an older or out-of-bounds batch takes the general path.
      if (repeat && this.store.isCurrent(ID, repeat.timestampMs) && timestampProblem(repeat.timestampMs, this.store.now(), defaultIngestLimits().maxBatchAgeMs) === undefined) {
        this.store.ingestRepeat(ID, repeat);
        this.template = repeat.template;
        return 'repeat';
      }
    }
    let parsed: { type?: unknown; families?: unknown; timestamp_ms?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'refused';
    }
    if (parsed?.type !== 'metrics' || !Array.isArray(parsed.families) || typeof parsed.timestamp_ms !== 'number') return 'refused';
    try {
      feed(this.store).batch(ID, parsed.families, parsed.timestamp_ms);
    } catch {
      return 'refused';
    }
    this.template = undefined;
    return 'general';
  }
}

/** Stores one line as AgentSession does: BatchIntake.repeat(), else JSON.parse and BatchIntake.batch(). */
class SessionAgent {
  readonly store = store();

  take(text: string): 'repeat' | 'general' | 'refused' {
    if (feed(this.store).repeat(ID, text)) return 'repeat';
    return general(this.store, text) ? 'general' : 'refused';
  }
}

/** The reference: every line through JSON.parse and the general path. */
function general(s: AgentStore, text: string): boolean {
  let parsed: { type?: unknown; families?: unknown; timestamp_ms?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (parsed?.type !== 'metrics' || !Array.isArray(parsed.families) || typeof parsed.timestamp_ms !== 'number') return false;
  try {
    feed(s).batch(ID, parsed.families, parsed.timestamp_ms);
  } catch {
    return false;
  }
  return true;
}

function agree(fast: AgentStore, reference: AgentStore, context: string): void {
  assert.equal(renderFamilies(fast.catalog), renderFamilies(reference.catalog), context);
  assert.deepEqual(fast.summaryOf(ID), reference.summaryOf(ID), context);
}

describe('repeat path, line against the previous line', () => {
  it('takes the third line by the template and stores what JSON.parse would', () => {
    const fast = new FastAgent();
    const reference = store();
    const lines = [line([1, 2, 3, 4e9, 1e10, 0.5], 1), line([1.5, 2, 3, 5e9, 1e10, 0.25], 2), line([2, 2, 3.25, 6e9, 1e10, 'NaN'], 3), line([2, 2.5, 3.25, 6e9, 1e10, '+Inf'], 4)];
    assert.deepEqual(lines.map((l) => fast.take(l)), ['general', 'repeat', 'repeat', 'repeat']);
    for (const l of lines) general(reference, l);
    assert.equal(fast.byTemplate, 2, 'lines 3 and 4');
    agree(fast.store, reference, 'after four lines');
    assert.match(renderFamilies(fast.store.catalog), /^node_load1\{instance="tmpl-1",dc="a b"\} \+Inf$/m);
    assert.equal(fast.store.summaryOf(ID).diskPercent, 40);
  });

  it('refuses by the template what differs anywhere but in a value, and falls back to the rendered text', () => {
    const fast = new FastAgent();
    fast.take(line([1, 2, 3, 4, 5, 6], 1));
    fast.take(line([1, 2, 3, 4, 5, 7], 2));
    const basis = fast.store.repeatBasis(ID)!;
    const next = line([1, 2, 3, 4, 5, 8], 3);
    for (const changed of [next.replace('"idle"', '"user"'), next.replace('"unit":"bytes"', '"unit":"byte"'), next.replace('"value":8}', '"value":8 }'), next.replace('"value":8}', '"value":08}'), next.replace('"value":8}', '"value":"8"}'), `${next} `]) {
      assert.equal(readRepeat(changed, basis.layout, WRONG_PREFIX, basis.watched, fast.template), undefined, changed);
    }
    // A new unit is not in the rendered text: the comparison with it takes the line.
    assert.ok(readRepeat(next.replace('"unit":"bytes"', '"unit":"byte"'), basis.layout, basis.labelPrefix, basis.watched, fast.template));
    assert.ok(readRepeat(next, basis.layout, WRONG_PREFIX, basis.watched, fast.template), 'the unchanged line is taken');
  });

  it('a template is only used while the store holds its values (revision)', () => {
    const fast = new FastAgent();
    fast.take(line([1, 2, 3, 4, 5, 6], 1));
    fast.take(line([1, 2, 3, 4, 5, 7], 2));
    const before = fast.store.repeatBasis(ID)!.revision;
    fast.take(line([1, 2, 3, 4, 5, 8], 3));
    assert.notEqual(fast.store.repeatBasis(ID)!.revision, before, 'a stored repeat moves the revision');
    const reference = store();
    for (const l of [line([1, 2, 3, 4, 5, 6], 1), line([1, 2, 3, 4, 5, 7], 2), line([1, 2, 3, 4, 5, 8], 3)]) general(reference, l);
    agree(fast.store, reference, 'three lines');
  });

  it('fast-check: any sequence of values and edits, the template path agrees with JSON.parse and the general path', () => {
    const value: fc.Arbitrary<Value> = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.constantFrom<Value>('NaN', '+Inf', '-Inf', 0, -0, 1e21, 1e-7, 0.000001, 123456789012345680000, 5e-324, 1.7976931348623157e308),
    );
    const edit = fc.record({ at: fc.nat(), char: fc.constantFrom(...'0123456789.eE+-"\\ ,:{}[]nulNaIfxé'), op: fc.constantFrom('replace', 'insert', 'delete', 'none', 'none', 'none', 'none', 'none', 'none') });
    const step = fc.record({ values: fc.array(value, { minLength: 6, maxLength: 6 }), keep: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), edit, back: fc.boolean() });
    let byTemplate = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 3, maxLength: 8 }), (steps) => {
        const fast = new FastAgent();
        const reference = store();
        const sessionStores = new SessionAgent();
        let current: Value[] = [1, 2, 3, 4, 5, 6];
        steps.forEach((s, n) => {
          current = current.map((v, i) => (s.keep[i] ? v : s.values[i]!));
          // Now and then a replayed (older) line, which must not become the snapshot.
          const seq = n + 1;
          const chars = [...line(current, seq, s.back && n > 1 ? T0 : T0 + seq)];
          const at = s.edit.at % chars.length;
          if (s.edit.op === 'replace') chars[at] = s.edit.char;
          else if (s.edit.op === 'insert') chars.splice(at, 0, s.edit.char);
          else if (s.edit.op === 'delete') chars.splice(at, 1);
          const text = chars.join('');
          const took = fast.take(text);
          const accepted = general(reference, text);
          if (took === 'repeat') assert.ok(accepted, `repeat path took a line the general path refuses: ${text}`);
          else assert.equal(took === 'general', accepted, text);
          agree(fast.store, reference, text);
          // The session's own way (BatchIntake keeps the template) stores the same.
          const session = sessionStores.take(text);
          assert.equal(session, took, text);
          agree(sessionStores.store, reference, text);
        });
        byTemplate += fast.byTemplate;
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) * 2, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) },
    );
    console.log(`# ${byTemplate} lines were taken by the template`);
    assert.ok(byTemplate > 200, `only ${byTemplate} lines were taken by the template; the property was barely exercised`);
  });
});
