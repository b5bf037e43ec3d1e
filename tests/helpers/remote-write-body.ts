import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { uncompress } from 'snappyjs';

// Reads a remote_write 1.0 request body back (snappy block format around a protobuf
// WriteRequest), for tests that look at what reached the receiver and in which order.
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }

export interface WrittenSeries {
  labels: Record<string, string>;
  samples: { value: number; timestampMs: number }[];
}

/** Every series of one request body; fields a test does not know are skipped, as protobuf allows. */
export function decodeWriteRequest(body: Uint8Array): WrittenSeries[] {
  const reader = new BinaryReader(uncompress(new Uint8Array(body)));
  const series: WrittenSeries[] = [];
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LengthDelimited) series.push(readTimeSeries(new BinaryReader(reader.bytes())));
    else reader.skip(wire);
  }
  return series;
}

function readTimeSeries(reader: BinaryReader): WrittenSeries {
  const out: WrittenSeries = { labels: {}, samples: [] };
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LengthDelimited) {
      const label = new BinaryReader(reader.bytes());
      let name = '';
      let value = '';
      while (label.pos < label.len) {
        const [f, w] = label.tag();
        if (f === 1 && w === WireType.LengthDelimited) name = label.string();
        else if (f === 2 && w === WireType.LengthDelimited) value = label.string();
        else label.skip(w);
      }
      out.labels[name] = value;
    } else if (field === 2 && wire === WireType.LengthDelimited) {
      const sample = new BinaryReader(reader.bytes());
      let value = 0;
      let timestampMs = 0;
      while (sample.pos < sample.len) {
        const [f, w] = sample.tag();
        if (f === 1 && w === WireType.Bit64) value = sample.double();
        else if (f === 2 && w === WireType.Varint) timestampMs = Number(sample.int64());
        else sample.skip(w);
      }
      out.samples.push({ value, timestampMs });
    } else reader.skip(wire);
  }
  return out;
}

/** The timestamps of the series whose labels include all of `match`, in one decoded request. */
export function timestampsIn(series: readonly WrittenSeries[], match: Record<string, string>): number[] {
  return series
    .filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .flatMap((s) => s.samples.map((x) => x.timestampMs));
}
