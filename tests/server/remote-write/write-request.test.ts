import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { uncompress } from 'snappyjs';
import { renderFamily } from '../../../src/server/ingest/render-family.js';
import { WriteRequestEncoder, writeRequestBody, type EncodedBatch } from '../../../src/server/remote-write/write-request.js';
import type { RenderedFamily } from '../../../src/server/text-format/rendered-family.js';
import { decodeWriteRequest } from '../../helpers/remote-write-receiver.js';
import { defaultIngestLimits } from '../../helpers/bridge.js';

const DEFAULT_INGEST_LIMITS = defaultIngestLimits();

// The encoder against the remote_write 1.0 spec, read back with the protobuf and snappy
// libraries: every series labelled exactly as /metrics shows it (plus job and external labels),
// labels sorted by name with __name__, one sample per series at the batch's own time.

const PREFIX = 'instance="web-1",env="prod"';

function rendered(family: unknown): RenderedFamily {
  return renderFamily(family, PREFIX, new Set(['instance', 'job', 'env']), DEFAULT_INGEST_LIMITS, { remaining: 1 << 20 }) as RenderedFamily;
}

const load = () => rendered({ name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value: 0.42 }] });
const cpu = () =>
  rendered({
    name: 'node_cpu_seconds_total',
    type: 'counter',
    help: 'cpu',
    samples: [
      { labels: { cpu: '0', mode: 'idle' }, value: 100.5 },
      { labels: { cpu: '0', mode: 'user' }, value: '+Inf' },
      { labels: { cpu: '1', mode: 'A' }, value: 'NaN' },
    ],
  });

function roundTrip(encoder: WriteRequestEncoder, families: RenderedFamily[], timestampMs: number) {
  const batch = encoder.encodeBatch(families, timestampMs);
  const body = writeRequestBody([batch]);
  return { batch, series: decodeWriteRequest(uncompress(new Uint8Array(body))) };
}

describe('WriteRequestEncoder', () => {
  it('sends each series with the labels /metrics shows, job and sorted names, at the batch time', () => {
    const { batch, series } = roundTrip(new WriteRequestEncoder([['job', 'fleetpulse']]), [load(), cpu()], 1_767_225_600_123);
    assert.equal(batch.samples, 4);
    assert.deepEqual(series[0]!.labelPairs, [['__name__', 'node_load1'], ['env', 'prod'], ['instance', 'web-1'], ['job', 'fleetpulse']]);
    assert.deepEqual(series[0]!.samples, [{ value: 0.42, timestampMs: 1_767_225_600_123 }]);
    assert.deepEqual(series[1]!.labels, { __name__: 'node_cpu_seconds_total', cpu: '0', env: 'prod', instance: 'web-1', job: 'fleetpulse', mode: 'idle' });
    assert.equal(series[2]!.samples[0]!.value, Infinity);
    assert.ok(Number.isNaN(series[3]!.samples[0]!.value), 'NaN travels as NaN');
    for (const s of series) {
      const names = s.labelPairs.map(([n]) => n);
      assert.deepEqual(names, [...names].sort(), `labels sorted by name: ${names.join(',')}`);
      assert.equal(new Set(names).size, names.length, 'no label name twice');
    }
  });

  it('unescapes label values as the exposition text escaped them', () => {
    const family = rendered({ name: 'x', type: 'gauge', help: '', samples: [{ labels: { path: 'C:\\dir "a"\nb', brace: '} 1' }, value: 1 }] });
    const { series } = roundTrip(new WriteRequestEncoder([]), [family], 5);
    assert.equal(series[0]!.labels.path, 'C:\\dir "a"\nb');
    assert.equal(series[0]!.labels.brace, '} 1');
    assert.deepEqual(series[0]!.samples, [{ value: 1, timestampMs: 5 }]);
  });

  it('adds external labels only where the series has no label of that name (as Prometheus\' external_labels)', () => {
    const { series } = roundTrip(new WriteRequestEncoder([['env', 'other'], ['region', 'eu'], ['job', 'fleetpulse']]), [load()], 1);
    assert.deepEqual(series[0]!.labels, { __name__: 'node_load1', env: 'prod', instance: 'web-1', job: 'fleetpulse', region: 'eu' });
  });

  it('reads the values a repeat batch wrote into the same family object', () => {
    const encoder = new WriteRequestEncoder([]);
    const family = cpu();
    roundTrip(encoder, [family], 1000);
    // As ingest/repeat-batch.ts does: the same label sets, new values (of other lengths) in place.
    [7, 123456.789, -Infinity].forEach((v, i) => family.setValue(i, v));
    assert.match(family.text, / 7\n.* 123456\.789\n.* -Inf\n$/s, 'the text follows');
    const { series } = roundTrip(encoder, [family], 2000);
    assert.deepEqual(series.map((s) => s.samples[0]), [{ value: 7, timestampMs: 2000 }, { value: 123456.789, timestampMs: 2000 }, { value: -Infinity, timestampMs: 2000 }]);
    assert.equal(series[2]!.labels.mode, 'A');
  });

  it('reads new family objects of an agent by their lines, whatever series come and go', () => {
    const encoder = new WriteRequestEncoder([]);
    const agent = {};
    const fs = (mounts: string[], value: number) => rendered({ name: 'fs', type: 'gauge', help: '', samples: mounts.map((m) => ({ labels: { mountpoint: m }, value })) });
    roundTrip(encoder, [fs(['/', '/a b'], 1)], 1);
    const batch = encoder.encodeBatch([fs(['/a b', '/new', '/'], 2)], 2, agent);
    const again = encoder.encodeBatch([fs(['/new', '/'], 3)], 3, agent);
    const decode = (b: EncodedBatch) => decodeWriteRequest(uncompress(new Uint8Array(writeRequestBody([b])))).map((s) => [s.labels.mountpoint, s.samples[0]!.value, s.samples[0]!.timestampMs]);
    assert.deepEqual(decode(batch), [['/a b', 2, 2], ['/new', 2, 2], ['/', 2, 2]]);
    assert.deepEqual(decode(again), [['/new', 3, 3], ['/', 3, 3]]);
  });

  it('writes a replay\'s own values and time without disturbing the live family object\'s template', () => {
    const encoder = new WriteRequestEncoder([]);
    const agent = {};
    const fs = (mounts: string[], value: number) => rendered({ name: 'fs', type: 'gauge', help: '', samples: mounts.map((m, i) => ({ labels: { mountpoint: m }, value: value + i })) });
    const decode = (b: EncodedBatch) => decodeWriteRequest(uncompress(new Uint8Array(writeRequestBody([b])))).map((s) => [s.labels.mountpoint, s.samples[0]!.value, s.samples[0]!.timestampMs]);
    const live = fs(['/', '/home', '/srv'], 10);
    encoder.encodeBatch([live], 1_767_225_600_000, agent);
    // Replays from the agent's outbox: new objects, older times, a series that was there then.
    const replay = encoder.encodeBatch([fs(['/', '/old', '/home', '/srv'], 1)], 1_767_225_500_000, agent);
    assert.deepEqual(decode(replay), [['/', 1, 1_767_225_500_000], ['/old', 2, 1_767_225_500_000], ['/home', 3, 1_767_225_500_000], ['/srv', 4, 1_767_225_500_000]]);
    live.setValue(0, 20);
    const again = encoder.encodeBatch([live], 1_767_225_605_000, agent);
    assert.deepEqual(decode(again), [['/', 20, 1_767_225_605_000], ['/home', 11, 1_767_225_605_000], ['/srv', 12, 1_767_225_605_000]]);
  });

  it('writes a family object again at a time whose field is longer than before', () => {
    const encoder = new WriteRequestEncoder([['job', 'fleetpulse']]);
    const family = cpu();
    roundTrip(encoder, [family], 1);
    const { series } = roundTrip(encoder, [family], 1_767_225_600_123);
    assert.deepEqual(series.map((s) => [s.labels.mode, s.samples[0]!.timestampMs]), [['idle', 1_767_225_600_123], ['user', 1_767_225_600_123], ['A', 1_767_225_600_123]]);
    assert.equal(series[0]!.labels.job, 'fleetpulse');
  });

  it('sends exactly each batch\'s series and values, whatever series an agent\'s families gain, lose or reorder', () => {
    // Several of one length: a label part swapped for another as long must still be told apart.
    const pool = ['/', '/home', '/a b', '/srv/x "y"', '/boot', '/var/lib/docker', 'C:\\', '/mnt/ü', '/vol1', '/vol2', '/vol3'];
    const step = fc.record({
      mounts: fc.uniqueArray(fc.constantFrom(...pool), { maxLength: pool.length }),
      /** A new family object (the general path, a replay) or the previous one with new values (a repeat batch). */
      fresh: fc.boolean(),
      /** A new object with the previous one's series (a replay, a batch off the repeat path). */
      sameSeries: fc.boolean(),
      agent: fc.constantFrom('a', 'b'),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const encoder = new WriteRequestEncoder([['job', 'fleetpulse']]);
        const agents: Record<string, object> = { a: {}, b: {} };
        const previous: Record<string, { family: RenderedFamily; mounts: string[] } | undefined> = {};
        steps.forEach((s, n) => {
          let family: RenderedFamily;
          let mounts = s.mounts;
          const before = previous[s.agent];
          const values = (ms: string[]) => ms.map((m, i) => ({ labels: { mountpoint: m, agent: s.agent }, value: n * 100 + i }));
          if (!s.fresh && before) {
            // As ingest/repeat-batch.ts: the same object and label sets, new values in its text.
            mounts = before.mounts;
            family = before.family;
            values(mounts).forEach((v, i) => family.setValue(i, v.value));
          } else {
            if (s.sameSeries && before) mounts = before.mounts;
            family = rendered({ name: 'fs', type: 'gauge', help: '', samples: values(mounts) });
          }
          previous[s.agent] = { family, mounts };
          const batch = encoder.encodeBatch([family], 1_767_225_600_000 + n, agents[s.agent]);
          const series = decodeWriteRequest(uncompress(new Uint8Array(writeRequestBody([batch]))));
          assert.equal(batch.samples, mounts.length);
          assert.deepEqual(
            series.map((x) => [x.labels, x.samples]),
            mounts.map((m, i) => [{ __name__: 'fs', agent: s.agent, env: 'prod', instance: 'web-1', job: 'fleetpulse', mountpoint: m }, [{ value: n * 100 + i, timestampMs: 1_767_225_600_000 + n }]]),
          );
        });
      }),
      { numRuns: 200 },
    );
  });

  it('keeps each queued repeat batch\'s own values and time until it is written into a request', () => {
    const encoder = new WriteRequestEncoder([]);
    const family = cpu();
    roundTrip(encoder, [family], 1000);
    const first = encoder.encodeBatch([family], 2000);
    // The next repeat batch changes the same object's values before the first one is sent.
    [1, 2, 3].forEach((v, i) => family.setValue(i, v));
    const second = encoder.encodeBatch([family], 3000);
    [4, 5, 6].forEach((v, i) => family.setValue(i, v));
    const series = decodeWriteRequest(uncompress(new Uint8Array(writeRequestBody([first, second]))));
    assert.deepEqual(
      series.map((s) => [s.samples[0]!.value, s.samples[0]!.timestampMs]),
      [[100.5, 2000], [Infinity, 2000], [NaN, 2000], [1, 3000], [2, 3000], [3, 3000]],
    );
  });

  it('concatenates encoded batches into one valid request', () => {
    const encoder = new WriteRequestEncoder([]);
    const a = encoder.encodeBatch([load()], 1000);
    const b = encoder.encodeBatch([load()], 2000);
    const series = decodeWriteRequest(uncompress(new Uint8Array(writeRequestBody([a, b]))));
    assert.deepEqual(series.map((s) => s.samples[0]!.timestampMs), [1000, 2000]);
  });

  it('encodes an empty batch as no series', () => {
    const batch = new WriteRequestEncoder([]).encodeBatch([], 1);
    assert.equal(batch.samples, 0);
    assert.equal(batch.size, 0);
  });
});
