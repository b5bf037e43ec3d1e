import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { compress } from 'snappyjs';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { readLineSeries, readLineValue } from './exposition-line.js';

// Prometheus remote_write 1.0 (https://prometheus.io/docs/specs/remote_write_spec/): the body is
// a snappy-compressed (block format) protobuf WriteRequest:
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // ms since the epoch
// A WriteRequest is nothing but its repeated field 1, so the TimeSeries entries of several
// batches, encoded once, concatenate into one request (and are shared by every URL).

/** The TimeSeries entries of one agent batch, protobuf-encoded (field 1 of a WriteRequest each). */
export interface EncodedBatch {
  readonly bytes: Uint8Array;
  readonly samples: number;
}

/** Per rendered family: each line's label part length and its encoded, sorted Label fields. */
interface FamilyLabels {
  readonly text: string;
  readonly prefixLengths: number[];
  readonly labels: Uint8Array[];
}

export class WriteRequestEncoder {
  /**
   * A repeat batch (ingest/repeat-batch.ts) changes the values in a family's text but never its
   * label sets, so the encoded labels of a family object are kept with it until it is dropped.
   */
  private readonly labelCache = new WeakMap<RenderedFamily, FamilyLabels>();

  /**
   * @param extraLabels added to every series unless it has a label of that name already (as
   *   Prometheus does with external_labels): the job label and the external labels.
   */
  constructor(private readonly extraLabels: readonly (readonly [string, string])[]) {}

  /** Every sample of `families` at the batch's own time. */
  encodeBatch(families: Iterable<RenderedFamily>, timestampMs: number): EncodedBatch {
    const w = new BinaryWriter();
    let samples = 0;
    for (const family of families) samples += this.encodeFamily(w, family, timestampMs);
    return { bytes: w.finish(), samples };
  }

  private encodeFamily(w: BinaryWriter, family: RenderedFamily, timestampMs: number): number {
    const text = family.text;
    const cached = this.labelCache.get(family);
    const labels = cached && (cached.text === text || sameLayout(cached, text)) ? cached : this.readLabels(family);
    let lineStart = 0;
    for (let i = 0; i < labels.labels.length; i++) {
      const valueAt = lineStart + labels.prefixLengths[i]!;
      const end = text.indexOf('\n', valueAt);
      const value = readLineValue(text, valueAt, end);
      w.tag(1, WireType.LengthDelimited).fork();
      w.raw(labels.labels[i]!);
      w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.Bit64).double(value).tag(2, WireType.Varint).int64(timestampMs).join();
      w.join();
      lineStart = end + 1;
    }
    return labels.labels.length;
  }

  private readLabels(family: RenderedFamily): FamilyLabels {
    const text = family.text;
    const prefixLengths: number[] = [];
    const labels: Uint8Array[] = [];
    for (let lineStart = 0; lineStart < text.length; ) {
      const series = readLineSeries(text, lineStart);
      prefixLengths.push(series.valueAt - lineStart);
      labels.push(this.encodeLabels(series.name, series.labels));
      lineStart = text.indexOf('\n', series.valueAt) + 1;
    }
    const entry = { text, prefixLengths, labels };
    this.labelCache.set(family, entry);
    return entry;
  }

  /** Label fields of one TimeSeries: __name__, the line's labels, then the extra ones, sorted by name as the spec asks. */
  private encodeLabels(name: string, lineLabels: [string, string][]): Uint8Array {
    const all: (readonly [string, string])[] = [['__name__', name], ...lineLabels];
    for (const extra of this.extraLabels) {
      if (!lineLabels.some(([n]) => n === extra[0])) all.push(extra);
    }
    all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const w = new BinaryWriter();
    for (const [n, v] of all) w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(n).tag(2, WireType.LengthDelimited).string(v).join();
    return w.finish();
  }
}

/** Whether each line of `text` still has its label part where the cached layout says (values moved only). */
function sameLayout(cached: FamilyLabels, text: string): boolean {
  let lineStart = 0;
  for (const length of cached.prefixLengths) {
    const valueAt = lineStart + length;
    if (text.charCodeAt(valueAt - 2) !== 0x7d || text.charCodeAt(valueAt - 1) !== 0x20) return false;
    const end = text.indexOf('\n', valueAt);
    if (end === -1) return false;
    lineStart = end + 1;
  }
  return lineStart === text.length;
}

/** The HTTP body of a WriteRequest made of these encoded batches. */
export function writeRequestBody(parts: readonly Uint8Array[]): Buffer {
  return Buffer.from(compress(Buffer.concat(parts)));
}
