import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { compress } from 'snappyjs';
import { decodeWriteRequest, timestampsIn } from './remote-write-body.js';

// The outage tests judge arrival order by decoding what the bridge sent; the decoder must read
// a WriteRequest as the spec writes it, skip fields it does not know, and keep int64 timestamps.

function body(series: { labels: [string, string][]; samples: [number, number][] }[]): Uint8Array {
  const w = new BinaryWriter();
  for (const s of series) {
    w.tag(1, WireType.LengthDelimited).fork();
    for (const [name, value] of s.labels) w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(name).tag(2, WireType.LengthDelimited).string(value).join();
    for (const [value, ts] of s.samples) w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.Bit64).double(value).tag(2, WireType.Varint).int64(ts).join();
    // A field from a later version of the spec (exemplars = 3): skipped.
    w.tag(3, WireType.LengthDelimited).bytes(new Uint8Array([1, 2, 3]));
    w.join();
  }
  // WriteRequest's metadata (field 3 in 1.0): skipped too.
  w.tag(3, WireType.LengthDelimited).bytes(new Uint8Array([9]));
  return compress(w.finish());
}

it('decodeWriteRequest reads labels and samples of every series, and timestampsIn picks one series', () => {
  const ts = 1_795_989_459_051;
  const decoded = decodeWriteRequest(body([
    { labels: [['__name__', 'node_load1'], ['instance', 'a'], ['job', 'fleetpulse']], samples: [[0.5, ts], [0.25, ts + 1000]] },
    { labels: [['__name__', 'node_load1'], ['instance', 'b']], samples: [[1, ts]] },
  ]));
  assert.deepEqual(decoded, [
    { labels: { __name__: 'node_load1', instance: 'a', job: 'fleetpulse' }, samples: [{ value: 0.5, timestampMs: ts }, { value: 0.25, timestampMs: ts + 1000 }] },
    { labels: { __name__: 'node_load1', instance: 'b' }, samples: [{ value: 1, timestampMs: ts }] },
  ]);
  assert.deepEqual(timestampsIn(decoded, { instance: 'a' }), [ts, ts + 1000]);
  assert.deepEqual(timestampsIn(decoded, { __name__: 'node_load1', instance: 'c' }), []);
});

it('decodeWriteRequest refuses a body that is not snappy-compressed', () => {
  assert.throws(() => decodeWriteRequest(new TextEncoder().encode('node_load1 1\n')));
});
