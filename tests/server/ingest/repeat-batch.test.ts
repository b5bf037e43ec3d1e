import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMessage } from '../../../src/protocol/encode.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { parseAgentMessage } from '../../../src/protocol/parse.js';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { readRepeat } from '../../../src/server/ingest/repeat-batch.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { feed as intakeOf } from '../../helpers/feed-store.js';
// The store's clock at the agents' batch times (the bridge refuses batches stamped far from its clock).
import { ManualTimers } from '../../helpers/manual-timers.js';

// The repeat path must accept only what the general path accepts, and store exactly what it
// would. Each case feeds one agent a first batch (general path) and then a second line, and
// compares the fast store with a store fed only through JSON.parse.

const ID = 'host-1';

function stores() {
  const make = () => {
    const s = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, timers: new ManualTimers() });
    s.connect({ id: ID, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: { env: 'prod' }, intervalMs: 5000 });
    return s;
  };
  return { fast: make(), general: make() };
}

function families(values: number[], extra: Partial<MetricFamily> = {}): MetricFamily[] {
  return [
    {
      name: 'node_cpu_seconds_total',
      type: 'counter',
      help: 'Seconds the CPUs spent in each mode.',
      unit: 'seconds',
      samples: values.map((value, i) => ({ labels: { cpu: String(i >> 1), mode: i % 2 ? 'user' : 'idle' }, value })),
    },
    { name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: values[0]! / 10 }] },
    { name: 'node_uname_info', type: 'gauge', help: 'Labeled system information.', samples: [{ labels: { release: '6.1.0', sysname: 'Linux' }, value: 1 }], ...extra },
  ];
}

const line = (f: MetricFamily[], seq = 2) => encodeMessage({ type: 'metrics', seq, timestamp_ms: 1_700_000_000_123, families: f }).slice(0, -1);

/** Feeds both stores `first` then `second`; returns whether the fast store took the repeat path. */
function feed(first: string, second: string): { repeated: boolean; fast: AgentStore; general: AgentStore } {
  const { fast, general } = stores();
  for (const s of [fast, general]) intakeOf(s).batch(ID, (parseAgentMessage(first) as { families: unknown[] }).families);
  const repeat = intakeOf(fast).repeat(ID, second);
  if (!repeat) intakeOf(fast).batch(ID, (parseAgentMessage(second) as { families: unknown[] }).families);
  intakeOf(general).batch(ID, (parseAgentMessage(second) as { families: unknown[] }).families);
  assert.equal(renderFamilies(fast.catalog), renderFamilies(general.catalog));
  return { repeated: repeat !== undefined, fast, general };
}

describe('readRepeat', () => {
  const first = line(families([10, 20, 30, 40]), 1);

  it('takes a batch with the same series and new values, and stores what JSON.parse would', () => {
    const { repeated, fast } = feed(first, line(families([10, 21.5, 30, 41])));
    assert.ok(repeated);
    assert.equal(fast.get(ID)!.batches, 2);
    assert.match(renderFamilies(fast.catalog), /^node_cpu_seconds_total\{instance="host-1",env="prod",cpu="0",mode="user"\} 21\.5$/m);
  });

  it('leaves an older repeat (a replay) to the general path, which sends it to history and keeps /metrics as it is', () => {
    const { fast } = stores();
    intakeOf(fast).batch(ID, (parseAgentMessage(first) as { families: unknown[] }).families);
    const before = renderFamilies(fast.catalog);
    const olderMs = 1_699_999_999_000;
    const older = encodeMessage({ type: 'metrics', seq: 3, timestamp_ms: olderMs, families: families([11, 21, 31, 41]) }).slice(0, -1);
    assert.equal(intakeOf(fast).repeat(ID, older), undefined, 'same layout, but older than the snapshot');
    const result = intakeOf(fast).batch(ID, (parseAgentMessage(older) as { families: unknown[] }).families, olderMs);
    assert.equal(result.applied, false);
    assert.equal(renderFamilies(fast.catalog), before, '/metrics unchanged');
    assert.match(result.families[0]!.text, /cpu="0",mode="user"\} 21$/m, 'the replay\'s own values go to history');
    assert.ok(intakeOf(fast).repeat(ID, line(families([12, 22, 32, 42]), 4)), 'the next current repeat takes the fast path again');
  });

  it('reads only the changed values, and keeps the very same text for a family whose values did not change', () => {
    const { fast, general } = stores();
    for (const s of [fast, general]) intakeOf(s).batch(ID, (parseAgentMessage(first) as { families: unknown[] }).families);
    const basis = fast.repeatBasis(ID)!;
    const before = basis.layout.map((f) => f.text);
    const r = readRepeat(line(families([11, 20, 30, 40])), basis.layout, basis.labelPrefix);
    assert.ok(r);
    assert.equal(r.seq, 2);
    // Samples in batch order: cpu 0-3, load1 4, uname 5.
    assert.deepEqual(r.changes, { at: [0, 4], to: [11, 1.1] });
    assert.equal(basis.layout[0]!.text, before[0], 'read, not stored: the text is the same');
    assert.ok(intakeOf(fast).repeat(ID, line(families([11, 20, 30, 40]))));
    intakeOf(general).batch(ID, (parseAgentMessage(line(families([11, 20, 30, 40]))) as { families: unknown[] }).families);
    assert.equal(basis.layout[2]!.text, before[2], 'uname unchanged: the very same string');
    assert.notEqual(basis.layout[0]!.text, before[0], 'cpu changed');
    assert.equal(renderFamilies(fast.catalog), renderFamilies(general.catalog));
  });

  it('renders numbers as the general path does, canonical or not', () => {
    const variants = ['1.0', '1e3', '-0', '0.0000001', '1E+2', '123456789012345678', '0.30000000000000004', '-12.5', '1e400', '"NaN"', '"+Inf"', '"-Inf"', '0.000001', '100000000000000000000000'];
    for (const v of variants) {
      const second = first.replace('"value":20}', `"value":${v}}`);
      assert.notEqual(second, first);
      const { repeated } = feed(first, second);
      assert.ok(repeated, `value ${v} takes the repeat path`);
    }
  });

  it('agrees with the general path on values of every magnitude', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 20; round++) {
      const values = Array.from({ length: 40 }, () => {
        const magnitude = 10 ** Math.floor(rand() * 44 - 22);
        const v = (rand() - 0.3) * magnitude;
        return rand() < 0.3 ? Math.round(v) : rand() < 0.5 ? Math.round(v * 1000) / 1000 : v;
      });
      const start = line(families(values.map(() => 1)), 1);
      assert.ok(feed(start, line(families(values))).repeated);
    }
  });

  it('leaves everything else to the general path', () => {
    const cases: Record<string, string> = {
      'another label value': first.replace('"mode":"user"', '"mode":"nice"'),
      'labels in another order': first.replace('{"cpu":"0","mode":"idle"}', '{"mode":"idle","cpu":"0"}'),
      'an escaped label value': first.replace('"release":"6.1.0"', '"release":"6.1\\u002e0"'),
      'an empty label value': first.replace('"release":"6.1.0"', '"release":""'),
      'a sample more': line([...families([10, 20, 30, 40]).slice(0, 2), { ...families([10])[2]!, samples: [...families([10])[2]!.samples, { value: 2 }] }]),
      'a family less': line(families([10, 20, 30, 40]).slice(0, 2)),
      'other help': first.replace('1m load average.', '1m load average'),
      'other type': first.replace('"type":"gauge","help":"1m', '"type":"untyped","help":"1m'),
      'spaces': first.replace('"value":20', '"value": 20'),
      'a bad value': first.replace('"value":20', '"value":"20"'),
      'a leading zero': first.replace('"value":20', '"value":020'),
      'a trailing comma': first.replace(']}]}', ']},]}'),
      'an extra key': first.replace('"seq":1,', '"seq":1,"x":1,'),
      'a fractional seq': first.replace('"seq":1,', '"seq":1.5,'),
      'trailing bytes': `${first} `,
    };
    for (const [what, second] of Object.entries(cases)) {
      assert.notEqual(second, first, what);
      let parsed = true;
      try {
        parseAgentMessage(second);
      } catch {
        parsed = false;
      }
      const { fast } = stores();
      intakeOf(fast).batch(ID, (parseAgentMessage(first) as { families: unknown[] }).families);
      assert.equal(intakeOf(fast).repeat(ID, second), undefined, what);
      if (parsed) feed(first, second); // and where JSON.parse takes it, both stores agree
    }
  });

  it('keeps the agent summary up to date', () => {
    const disk = (avail: number): MetricFamily[] => [
      { name: 'node_filesystem_size_bytes', type: 'gauge', help: 'size', samples: [{ labels: { mountpoint: '/boot' }, value: 10 }, { labels: { mountpoint: '/' }, value: 200 }] },
      { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'avail', samples: [{ labels: { mountpoint: '/boot' }, value: 5 }, { labels: { mountpoint: '/' }, value: avail }] },
    ];
    const { fast } = stores();
    intakeOf(fast).batch(ID, (parseAgentMessage(line(disk(150), 1)) as { families: unknown[] }).families);
    assert.equal(fast.summaryOf(ID).diskPercent, 25);
    assert.ok(intakeOf(fast).repeat(ID, line(disk(50))));
    assert.equal(fast.summaryOf(ID).diskPercent, 75);
  });

  it('needs a clean previous batch: after a rejected family, the next one goes the general way', () => {
    const { fast } = stores();
    const bad = line([...families([1, 2]), { name: 'bad name', type: 'gauge', help: '', samples: [{ value: 1 }] }], 1);
    const result = intakeOf(fast).batch(ID, (parseAgentMessage(bad) as { families: unknown[] }).families);
    assert.equal(result.rejected.length, 1);
    assert.equal(intakeOf(fast).repeat(ID, bad), undefined);
  });
});
