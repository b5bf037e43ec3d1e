import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { compress } from 'snappyjs';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { readLineSeries, readLineValue } from './exposition-line.js';
import { ProtoBytes } from './proto-bytes.js';

// Prometheus remote_write 1.0 (https://prometheus.io/docs/specs/remote_write_spec/): the body is
// a snappy-compressed (block format) protobuf WriteRequest:
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // ms since the epoch
// A WriteRequest is nothing but its repeated field 1, so the TimeSeries entries of several
// batches, encoded once, concatenate into one request (and are shared by every URL).
//
// A series' labels change far less often than its value: they are encoded once (with the
// protobuf library) and kept, and each batch writes only the fixed-shape rest of each TimeSeries.

/** The TimeSeries entries of one agent batch, protobuf-encoded (field 1 of a WriteRequest each). */
export interface EncodedBatch {
  readonly bytes: Uint8Array;
  readonly samples: number;
}

/** A family object seen before: each line's label part length and its encoded Label fields. */
interface FamilyLayout {
  readonly prefixLengths: number[];
  readonly labels: Uint8Array[];
}

/** Encoded Label fields by a line's label part (`name{...}`), per family name, of one agent. */
type LabelsByLine = Map<string, Map<string, Uint8Array>>;

const TIMESERIES_TAG = (1 << 3) | WireType.LengthDelimited;
const SAMPLE_TAG = (2 << 3) | WireType.LengthDelimited;
const SAMPLE_VALUE_TAG = (1 << 3) | WireType.Bit64;

export class WriteRequestEncoder {
  /**
   * A repeat batch (ingest/repeat-batch.ts) changes the values in a family object's text but
   * never its label sets: the same object is read by position, without looking anything up.
   */
  private readonly layouts = new WeakMap<RenderedFamily, FamilyLayout>();
  /** Other batches (new family objects, replays): by each line's label text, per agent. */
  private readonly byAgent = new WeakMap<object, LabelsByLine>();
  private readonly out = new ProtoBytes();

  /**
   * @param extraLabels added to every series unless it has a label of that name already (as
   *   Prometheus does with external_labels): the job label and the external labels.
   */
  constructor(private readonly extraLabels: readonly (readonly [string, string])[]) {}

  /**
   * Every sample of `families` at the batch's own time.
   * @param agent a key for the agent's label cache (forgotten with it); none: no cache across family objects
   */
  encodeBatch(families: Iterable<RenderedFamily>, timestampMs: number, agent?: object): EncodedBatch {
    const out = this.out;
    out.reset();
    const sample = sampleTail(timestampMs);
    let samples = 0;
    let lines: LabelsByLine | undefined;
    for (const family of families) {
      const layout = this.layouts.get(family);
      const start = out.length;
      if (layout && this.byLayout(family, layout, sample)) {
        samples += layout.labels.length;
        continue;
      }
      out.truncate(start);
      if (agent) {
        lines ??= this.byAgent.get(agent) ?? this.newAgent(agent);
      }
      samples += this.byLine(family, sample, lines);
    }
    return { bytes: out.copy(), samples };
  }

  /** Writes the family by its known layout; false (part written) when its text no longer fits it. */
  private byLayout(family: RenderedFamily, layout: FamilyLayout, sample: SampleTail): boolean {
    const text = family.text;
    let lineStart = 0;
    for (let i = 0; i < layout.labels.length; i++) {
      const valueAt = lineStart + layout.prefixLengths[i]!;
      if (text.charCodeAt(valueAt - 1) !== 0x20 || text.charCodeAt(valueAt - 2) !== 0x7d) return false;
      const end = text.indexOf('\n', valueAt);
      if (end === -1) return false;
      this.writeSeries(layout.labels[i]!, readLineValue(text, valueAt, end), sample);
      lineStart = end + 1;
    }
    return lineStart === text.length;
  }

  /** Writes the family line by line, looking each line's labels up (or encoding them); records its layout. */
  private byLine(family: RenderedFamily, sample: SampleTail, lines: LabelsByLine | undefined): number {
    const text = family.text;
    let known = lines?.get(family.name);
    if (lines && !known) lines.set(family.name, (known = new Map()));
    const prefixLengths: number[] = [];
    const labels: Uint8Array[] = [];
    const keys: string[] = [];
    for (let lineStart = 0; lineStart < text.length; ) {
      const end = text.indexOf('\n', lineStart);
      // The value is a number, NaN or ±Inf: the line's last space starts it (label values may hold spaces).
      const space = text.lastIndexOf(' ', end);
      const key = text.slice(lineStart, space);
      let encoded = known?.get(key);
      if (!encoded) {
        const series = readLineSeries(text, lineStart);
        encoded = this.encodeLabels(series.name, series.labels);
        // A copy of the key: a slice would keep the whole text alive.
        known?.set(Buffer.from(key).toString(), encoded);
      }
      prefixLengths.push(space + 1 - lineStart);
      labels.push(encoded);
      keys.push(key);
      this.writeSeries(encoded, readLineValue(text, space + 1, end), sample);
      lineStart = end + 1;
    }
    // Series that went away are not kept for ever: past twice the family's size, start afresh.
    if (known && known.size > 2 * labels.length + 16) {
      known.clear();
      for (let i = 0; i < keys.length; i++) known.set(Buffer.from(keys[i]!).toString(), labels[i]!);
    }
    this.layouts.set(family, { prefixLengths, labels });
    return labels.length;
  }

  private writeSeries(labels: Uint8Array, value: number, sample: SampleTail): void {
    const out = this.out;
    out.reserve(labels.length + 32);
    out.byte(TIMESERIES_TAG);
    out.varint(labels.length + 2 + sample.length);
    out.raw(labels);
    out.byte(SAMPLE_TAG);
    out.byte(sample.length); // 9 + 1 + at most 10: always one byte
    out.byte(SAMPLE_VALUE_TAG);
    out.double(value);
    out.raw(sample.timestamp);
  }

  private newAgent(agent: object): LabelsByLine {
    const lines: LabelsByLine = new Map();
    this.byAgent.set(agent, lines);
    return lines;
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

/** The part of every Sample of a batch after its value: the timestamp field, and the Sample's length. */
interface SampleTail {
  readonly timestamp: Uint8Array;
  /** Bytes of the Sample message: the value field (9) and the timestamp field. */
  readonly length: number;
}

function sampleTail(timestampMs: number): SampleTail {
  const w = new BinaryWriter();
  w.tag(2, WireType.Varint).int64(timestampMs);
  const timestamp = w.finish();
  return { timestamp, length: 9 + timestamp.length };
}

/** The HTTP body of a WriteRequest made of these encoded batches. */
export function writeRequestBody(parts: readonly Uint8Array[]): Buffer {
  return Buffer.from(compress(Buffer.concat(parts)));
}
