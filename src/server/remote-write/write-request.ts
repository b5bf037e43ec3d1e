import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { readLineSeries, type LineSeries } from './exposition-line.js';
import { ProtoBytes } from './proto-bytes.js';
import { loadSnappy } from './snappy.js';

// Prometheus remote_write 1.0 (https://prometheus.io/docs/specs/remote_write_spec/): the body is
// a snappy-compressed (block format) protobuf WriteRequest:
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // ms since the epoch
// A WriteRequest is nothing but its repeated field 1, so the TimeSeries entries of several
// batches, encoded once, concatenate into one request (and are shared by every URL).
//
// A series' labels change far less often than its value. Each family object's TimeSeries entries
// are kept as one buffer, the family's template: a repeat batch (the same family objects, new
// values) keeps the templates and its values, and writes them into the request (see
// TemplateBatch): one copy per byte, the values taken from RenderedFamily.values, never from text.
// One buffer and one small array per family, not an object per series.

/**
 * The TimeSeries entries of one agent batch, protobuf-encoded (field 1 of a WriteRequest each),
 * as they go into a request: written there by writeRequestBody(). A repeat batch holds no bytes
 * of its own until then, only its families' templates and its values.
 */
export interface EncodedBatch {
  /** Bytes it writes. */
  readonly size: number;
  readonly samples: number;
  /** Writes its `size` bytes at `at` in `target`. */
  writeTo(target: Buffer, at: number): void;
}

/** A batch encoded family by family (not a repeat): its bytes. */
class BytesBatch implements EncodedBatch {
  constructor(
    private readonly bytes: Uint8Array,
    readonly samples: number,
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  writeTo(target: Buffer, at: number): void {
    target.set(this.bytes, at);
  }
}

/** A repeat batch: its families' templates (never changed once made) with its values and time written in. */
class TemplateBatch implements EncodedBatch {
  constructor(
    private readonly layouts: readonly FamilyLayout[],
    /** Every sample's value, in order (the families' values change in place after the batch). */
    private readonly values: Float64Array,
    private readonly timestamp: Uint8Array,
    readonly size: number,
  ) {}

  get samples(): number {
    return this.values.length;
  }

  writeTo(target: Buffer, at: number): void {
    let first = 0;
    for (const layout of this.layouts) {
      target.set(layout.template, at);
      writeSamples(target, at, layout, this.values, first, this.timestamp);
      at += layout.template.length;
      first += layout.series;
    }
  }
}

/** A batch's bytes on their own (what it writes into a request). */
export function batchBytes(batch: EncodedBatch): Buffer {
  const bytes = Buffer.allocUnsafe(batch.size);
  batch.writeTo(bytes, 0);
  return bytes;
}

/** A family object as last encoded: its TimeSeries entries, and where each line's parts are. */
interface FamilyLayout {
  /** The object it was made from; its text lines' label parts are the template's, in order. */
  readonly family: RenderedFamily;
  /** The family's TimeSeries entries as last written. */
  readonly template: Uint8Array;
  /**
   * Three numbers per series i (one plain array: ~80 layouts per agent, where typed arrays
   * cost ~100 bytes each of overhead): at[3i] where its Label fields start in the template
   * (they end 3 bytes before its value), at[3i + 1] where its value (a double) is (the
   * timestamp field follows it), at[3i + 2] its line's length up to the value (`name{...} `).
   */
  readonly at: readonly number[];
  /** Series in the family. */
  readonly series: number;
  /** Length of the timestamp field the template was written with (it sizes every TimeSeries). */
  readonly timestampLength: number;
}

const TIMESERIES_TAG = (1 << 3) | WireType.LengthDelimited;
const SAMPLE_TAG = (2 << 3) | WireType.LengthDelimited;
const SAMPLE_VALUE_TAG = (1 << 3) | WireType.Bit64;
/** Bytes between a TimeSeries' labels and its value: the Sample tag, its length, the value's tag. */
const LABELS_TO_VALUE = 3;

export class WriteRequestEncoder {
  /**
   * A repeat batch (ingest/repeat-batch.ts) changes the values in a family object's text but
   * never its label sets: the same object is written from its template.
   */
  private readonly layouts = new WeakMap<RenderedFamily, FamilyLayout>();
  /**
   * Other batches (new family objects, replays): per agent, the last layout of each family name,
   * whose label parts are compared with the new object's lines (in order first) and reused.
   */
  private readonly byAgent = new WeakMap<object, Map<string, FamilyLayout>>();
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
  encodeBatch(families: readonly RenderedFamily[], timestampMs: number, agent?: object): EncodedBatch {
    const sample = sampleTail(timestampMs);
    return this.fromTemplates(families, sample) ?? this.familyByFamily(families, sample, agent);
  }

  /**
   * The common batch, a repeat: every family is an object written before with a timestamp field
   * as long. The batch keeps their templates and a copy of its values; the bytes are written
   * once, into the request (see TemplateBatch). Undefined when some family is not such an object.
   */
  private fromTemplates(families: readonly RenderedFamily[], sample: SampleTail): EncodedBatch | undefined {
    let size = 0;
    let samples = 0;
    const found: FamilyLayout[] = [];
    for (const family of families) {
      const layout = this.layouts.get(family);
      if (!layout || layout.timestampLength !== sample.timestamp.length || family.values.length !== layout.series) return undefined;
      found.push(layout);
      size += layout.template.length;
      samples += layout.series;
    }
    const values = new Float64Array(samples);
    let first = 0;
    for (const family of families) {
      const own = family.values;
      for (let i = 0; i < own.length; i++) values[first + i] = own[i]!;
      first += own.length;
    }
    return new TemplateBatch(found, values, sample.timestamp, size);
  }

  /** Any batch: each family from its template, the agent's previous object of its name, or its lines. */
  private familyByFamily(families: readonly RenderedFamily[], sample: SampleTail, agent: object | undefined): EncodedBatch {
    const out = this.out;
    out.reset();
    let samples = 0;
    let byName: Map<string, FamilyLayout> | undefined;
    for (const family of families) {
      const layout = this.layouts.get(family);
      const start = out.length;
      const sameShape = layout?.timestampLength === sample.timestamp.length;
      if (layout && sameShape && this.fromTemplate(family, layout, sample)) {
        samples += layout.series;
        continue;
      }
      out.truncate(start);
      if (agent) byName ??= this.byAgent.get(agent) ?? this.newAgent(agent);
      // The same object whose lines no longer fit its template (never from a repeat batch;
      // defensive): its old label parts are not in its text any more, nothing can be reused.
      const before = layout && sameShape ? undefined : (layout ?? byName?.get(family.name));
      // A new object with the previous one's label sets (a replay, mostly): its template, as is.
      const shared = before && before.family !== family && before.timestampLength === sample.timestamp.length && sameLabelParts(family.text, before) ? { ...before, family } : undefined;
      if (shared && this.fromTemplate(family, shared, sample)) {
        this.layouts.set(family, shared);
        byName?.set(family.name, shared);
        samples += shared.series;
        continue;
      }
      out.truncate(start);
      const made = this.fromLines(family, sample, before, start);
      this.layouts.set(family, made);
      byName?.set(family.name, made);
      samples += made.series;
    }
    return new BytesBatch(out.copy(), samples);
  }

  /**
   * Writes the family from its template, with the family's values (its label sets are the
   * template's: the same object, or one whose label parts were compared); false (nothing
   * written) when it has another number of series.
   */
  private fromTemplate(family: RenderedFamily, layout: FamilyLayout, sample: SampleTail): boolean {
    if (family.values.length !== layout.series) return false;
    const out = this.out;
    const base = out.length;
    out.reserve(layout.template.length);
    out.raw(layout.template);
    writeSamples(out.bytes, base, layout, family.values, 0, sample.timestamp);
    return true;
  }

  /**
   * Writes the family line by line, taking each line's Label fields from `before` (the agent's
   * previous object of this name) where its label part is there, else encoding them; returns
   * the new object's layout. The family's entries start at `start` in the output.
   */
  private fromLines(family: RenderedFamily, sample: SampleTail, before: FamilyLayout | undefined, start: number): FamilyLayout {
    const out = this.out;
    const text = family.text;
    const old = before && new PreviousLines(before);
    const { values } = family;
    // Exactly sized: it is kept as long as the family object is.
    const at: number[] = new Array(3 * values.length);
    let i = 0;
    for (let lineStart = 0; lineStart < text.length; i++) {
      const end = text.indexOf('\n', lineStart);
      // The value is a number, NaN or ±Inf: the line's last space starts it (label values may hold spaces).
      const space = text.lastIndexOf(' ', end);
      const labels = old?.labelsOf(text.slice(lineStart, space + 1), i) ?? this.encodeLabels(readLineSeries(text, lineStart));
      // Line i shows values[i]: one value per line, or the object was changed against its contract.
      if (i >= values.length) throw new Error(`${family.name}: more lines than its ${values.length} values`);
      out.reserve(labels.length + 32);
      out.byte(TIMESERIES_TAG);
      out.varint(labels.length + 2 + sample.length);
      at[3 * i] = out.length - start;
      out.raw(labels);
      out.byte(SAMPLE_TAG);
      out.byte(sample.length); // 9 + 1 + at most 10: always one byte
      out.byte(SAMPLE_VALUE_TAG);
      at[3 * i + 1] = out.length - start;
      out.double(values[i]!);
      out.raw(sample.timestamp);
      at[3 * i + 2] = space + 1 - lineStart;
      lineStart = end + 1;
    }
    if (i !== values.length) throw new Error(`${family.name}: ${i} lines but ${values.length} values`);
    return { family, template: out.copy(start), at, series: i, timestampLength: sample.timestamp.length };
  }

  private newAgent(agent: object): Map<string, FamilyLayout> {
    const lines = new Map<string, FamilyLayout>();
    this.byAgent.set(agent, lines);
    return lines;
  }

  /** Label fields of one TimeSeries: __name__, the line's labels, then the extra ones, sorted by name as the spec asks. */
  private encodeLabels({ name, labels: lineLabels }: LineSeries): Uint8Array {
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

/** Whether `text` has the lines of `layout`'s family, in order, with the same label parts (values aside). */
function sameLabelParts(text: string, layout: FamilyLayout): boolean {
  const { at } = layout;
  const old = layout.family.text;
  let lineStart = 0;
  let oldStart = 0;
  for (let i = 0; i < layout.series; i++) {
    const length = at[3 * i + 2]!;
    // Two slices and === measured several times faster than startsWith(slice, at) or a char loop.
    if (text.slice(lineStart, lineStart + length) !== old.slice(oldStart, oldStart + length)) return false;
    const end = text.indexOf('\n', lineStart + length);
    const oldEnd = old.indexOf('\n', oldStart + length);
    if (end === -1 || oldEnd === -1) return false;
    lineStart = end + 1;
    oldStart = oldEnd + 1;
  }
  return lineStart === text.length;
}

/**
 * The label parts of a family's previous object, to find a new line's Label fields in its
 * template: at the same position first (series rarely move), else by the text of its label part.
 */
class PreviousLines {
  private readonly text: string;
  /** Where line `next` of the previous text starts; -1 once lines stopped matching in order. */
  private lineStart = 0;
  private next = 0;
  private byKey: Map<string, number> | undefined;

  constructor(private readonly layout: FamilyLayout) {
    this.text = layout.family.text;
  }

  /** The Label fields of the line whose label part (with the space before its value) is `key`; new line number `i`. */
  labelsOf(key: string, i: number): Uint8Array | undefined {
    const { at, series } = this.layout;
    if (this.lineStart !== -1 && i === this.next && i < series && at[3 * i + 2] === key.length && this.text.slice(this.lineStart, this.lineStart + key.length) === key) {
      this.next++;
      this.lineStart = this.text.indexOf('\n', this.lineStart + key.length) + 1;
      if (this.lineStart === 0) this.lineStart = -1;
      return this.labels(i);
    }
    this.lineStart = -1;
    const found = (this.byKey ??= this.keys()).get(key);
    return found === undefined ? undefined : this.labels(found);
  }

  private labels(i: number): Uint8Array {
    const { template, at } = this.layout;
    return template.subarray(at[3 * i]!, at[3 * i + 1]! - LABELS_TO_VALUE);
  }

  /** Every line's label part, to its index; the previous text's lines no longer fitting the layout end the map. */
  private keys(): Map<string, number> {
    const keys = new Map<string, number>();
    const { at, series } = this.layout;
    const text = this.text;
    let lineStart = 0;
    for (let i = 0; i < series; i++) {
      const valueStart = lineStart + at[3 * i + 2]!;
      const end = text.indexOf('\n', valueStart);
      if (end === -1 || text.charCodeAt(valueStart - 1) !== 0x20 || text.charCodeAt(valueStart - 2) !== 0x7d) break;
      keys.set(text.slice(lineStart, valueStart), i);
      lineStart = end + 1;
    }
    return keys;
  }
}

/** Writes each series' value and the batch's timestamp field into a copy of `layout`'s template at `base` in `bytes`. */
function writeSamples(bytes: Buffer, base: number, layout: FamilyLayout, values: ArrayLike<number>, first: number, timestamp: Uint8Array): void {
  const { at, series } = layout;
  const n = timestamp.length;
  for (let i = 0; i < series; i++) {
    const valueAt = base + at[3 * i + 1]!;
    bytes.writeDoubleLE(values[first + i]!, valueAt);
    for (let k = 0; k < n; k++) bytes[valueAt + 8 + k] = timestamp[k]!;
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

/** The snappy that compresses every body of this process (remote-write.ts logs which). */
export const snappy = loadSnappy();

/** Where the parts of a request are put together for snappy: reused (at most twice the largest request yet). */
let joined = Buffer.allocUnsafe(0);

/** The HTTP body of a WriteRequest made of these encoded batches. */
export function writeRequestBody(parts: readonly EncodedBatch[]): Buffer {
  let size = 0;
  for (const part of parts) size += part.size;
  if (joined.length < size) joined = Buffer.allocUnsafe(Math.max(size, 2 * joined.length));
  let at = 0;
  for (const part of parts) {
    part.writeTo(joined, at);
    at += part.size;
  }
  return snappy.compress(joined.subarray(0, size));
}
