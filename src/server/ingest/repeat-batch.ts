import { readValue } from '../text-format/read-value.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';

// The fast path for the common batch: an agent's next snapshot has the same families, help
// texts and label sets, in the same order, as its previous one, and only values moved. Such
// a line is checked against the previous batch's rendered text, character by character and
// without JSON.parse, and only the changed values are read, as numbers (the families render
// their text from them when it is next read). Anything else — other
// spacing or key order, escapes, a new or missing series, a malformed number — returns
// undefined and the line takes the general path (JSON.parse, validation, rendering), which
// also reports every error. So this path accepts only lines the general one would accept
// and render to exactly the same text (formatValue of the same double). An agent's first batch always goes the general way
// and sets the layout compared against here (so does any batch after one that was not clean).
//
// Once a line was read so, the next ones are first compared with that line itself (its
// LineTemplate): everything but the sample values, and seq and timestamp_ms, must be the very
// same characters, so the only work per sample is reading its value. The template stays while
// the agent's layout does (later lines are not kept: an agent's ~20 KB line per batch would
// live a whole interval and be copied into the old generation). A line that differs anywhere
// else falls back to the comparison with the rendered text above.

export interface RepeatedBatch {
  seq: number;
  /** The agent's own time of the batch. */
  timestampMs: number;
  /** Samples in the batch (the same as in the layout). */
  samples: number;
  /** For each watched family position that changed: its samples' new values, undefined where unchanged. */
  values: ReadonlyMap<number, readonly (number | undefined)[]>;
  /** Every changed sample's new value (see SampleChanges). */
  changes: SampleChanges;
  /** The line to compare the agent's next line with (valid while the layout holds): the template this line was read against, else this line. */
  template: LineTemplate;
}

/**
 * The samples whose value changed, by their position in the batch (all families' samples in
 * order, as the layout's lines), ascending, with their new values: to[i] is sample at[i]'s.
 */
export interface SampleChanges {
  readonly at: readonly number[];
  readonly to: readonly number[];
}

/** A line read as a repeat, and where its values sit, so the next line can be compared with it character by character. */
export interface LineTemplate {
  readonly line: string;
  /** Position in line just after `"families":[`. */
  readonly bodyStart: number;
  /** Start and end of every sample's value in line, in batch order. */
  readonly spans: Int32Array;
  /** Every sample's value in line, in batch order. */
  readonly values: readonly number[];
}

const HEAD = '{"type":"metrics","seq":';
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f]/;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Cheap test a session can make before trying this path. */
export function looksLikeMetrics(line: string): boolean {
  return line.startsWith(HEAD);
}

/** Families whose help text needs no JSON escape (checked once per family object). */
const plainHelp = new WeakSet<RenderedFamily>();

/**
 * The number of a value token checked by valueToken(): a JSON number (as JSON.parse reads it),
 * or "NaN", "+Inf", "-Inf"; -0 is 0, as its line shows it.
 */
function tokenValue(line: string, start: number, end: number): number {
  if (line.charCodeAt(start) === QUOTE) {
    const sign = line.charCodeAt(start + 1);
    return sign === 0x4e ? NaN : sign === 0x2b ? Infinity : -Infinity; // 'N', '+'
  }
  const value = readValue(line, start, end);
  return value === 0 ? 0 : value;
}

/** Whether a[ai, ai + n) equals b[bi, bi + n). */
function equalAt(a: string, ai: number, b: string, bi: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a.charCodeAt(ai + k) !== b.charCodeAt(bi + k)) return false;
  return true;
}

/** equalAt for a run of any length: long runs are compared natively. */
function sameRun(a: string, ai: number, b: string, bi: number, n: number): boolean {
  if (n < 0 || ai + n > a.length) return false;
  return n < 32 ? equalAt(a, ai, b, bi, n) : a.substring(ai, ai + n) === b.substring(bi, bi + n);
}

class Mismatch extends Error {}
const MISMATCH = new Mismatch();

const NO_WATCH: ReadonlySet<number> = new Set();
const NO_VALUES: ReadonlyMap<number, readonly (number | undefined)[]> = new Map();

/**
 * Reads `line` as a repeat of `layout` (the agent's previous batch, in order).
 * @param agentLabels the `instance="id",...` prefix inside every line of the layout's text
 * @param watched positions of families whose new values the caller needs as numbers
 * @param template the line the layout's values were last read from, if it was read by this path
 * @returns the new texts, or undefined when the line is not such a repeat
 */
export function readRepeat(line: string, layout: readonly RenderedFamily[], agentLabels: string, watched: ReadonlySet<number> = NO_WATCH, template?: LineTemplate): RepeatedBatch | undefined {
  if (template !== undefined) {
    try {
      return new Reader(line, agentLabels).sameAs(template, layout, watched);
    } catch (err) {
      if (err !== MISMATCH) throw err;
    }
  }
  try {
    return new Reader(line, agentLabels).batch(layout, watched);
  } catch (err) {
    if (err === MISMATCH) return undefined;
    throw err;
  }
}

class Reader {
  private p = 0;
  /** Start and end of each value read so far (see LineTemplate), and how many entries are set. */
  private spans = new Int32Array(0);
  private spanAt = 0;
  /** Every value read by batch(), in batch order (a template's values). */
  private values: number[] = [];
  private readonly changes = { at: [] as number[], to: [] as number[] };

  constructor(
    private readonly line: string,
    private readonly agentLabels: string,
  ) {}

  batch(layout: readonly RenderedFamily[], watched: ReadonlySet<number>): RepeatedBatch {
    const { seq, timestampMs } = this.head();
    const bodyStart = this.p;
    let series = 0;
    for (const family of layout) series += family.series;
    this.spans = new Int32Array(2 * series);
    this.values = new Array<number>(series);
    let values: Map<number, (number | undefined)[]> | undefined;
    let samples = 0;
    for (let i = 0; i < layout.length; i++) {
      if (i > 0) this.expectChar(0x2c); // ','
      const family = layout[i]!;
      const changed = watched.size > 0 && watched.has(i) ? [] : undefined;
      if (this.family(family, changed) && changed) (values ??= new Map()).set(i, changed);
      samples += family.series;
    }
    this.expect(']}');
    if (this.p !== this.line.length) throw MISMATCH;
    return { seq, timestampMs, samples, values: values ?? NO_VALUES, changes: this.changes, template: { line: this.line, bodyStart, spans: this.spans, values: this.values } };
  }

  /**
   * The line read against a template (an earlier line of the agent's): the same characters
   * everywhere but in seq, timestamp_ms and the sample values, each of which must be a value as
   * batch() reads them. The template passed batch(), so this line parses to the same batch with
   * other values. Characters are compared in runs that end at a value spelled otherwise than in
   * the template (long runs natively); such values are read as numbers, the others are the
   * template's. Changes are against the families' current values.
   */
  sameAs(template: LineTemplate, layout: readonly RenderedFamily[], watched: ReadonlySet<number>): RepeatedBatch {
    const { seq, timestampMs } = this.head();
    const line = this.line;
    const previous = template.line;
    const was = template.spans;
    const wasValues = template.values;
    const changes = this.changes;
    let values: Map<number, (number | undefined)[]> | undefined;
    let samples = 0;
    // Not yet compared: line from runAt against previous from runFrom (the same length up to the next value read).
    let runAt = this.p;
    let runFrom = template.bodyStart;
    let k = 0; // index into the spans
    for (let i = 0; i < layout.length; i++) {
      const family = layout[i]!;
      const current = family.values;
      const series = current.length;
      const changed: (number | undefined)[] | undefined = watched.size > 0 && watched.has(i) ? [] : undefined;
      let anyChanged = false;
      for (let j = 0; j < series; j++, k += 2) {
        const wasStart = was[k]!;
        const wasEnd = was[k + 1]!;
        // Where this value starts if the run before it matches (checked below, before anything is kept).
        const start = runAt + (wasStart - runFrom);
        this.p = start;
        this.valueToken();
        const end = this.p;
        let value: number;
        if (end - start === wasEnd - wasStart && equalAt(line, start, previous, wasStart, end - start)) {
          value = wasValues[k >> 1]!;
        } else {
          if (!sameRun(line, runAt, previous, runFrom, wasStart - runFrom)) throw MISMATCH;
          runAt = end;
          runFrom = wasEnd;
          value = tokenValue(line, start, end);
        }
        const now = current[j]!;
        if (value === now || (value !== value && now !== now)) continue;
        changes.at.push(k >> 1);
        changes.to.push(value);
        anyChanged = true;
        if (changed) changed[j] = value;
      }
      if (changed && anyChanged) (values ??= new Map()).set(i, changed);
      samples += series;
    }
    if (k !== was.length) throw MISMATCH;
    if (line.length - runAt !== previous.length - runFrom || !sameRun(line, runAt, previous, runFrom, previous.length - runFrom)) throw MISMATCH;
    this.p = line.length;
    return { seq, timestampMs, samples, values: values ?? NO_VALUES, changes, template };
  }

  private head(): { seq: number; timestampMs: number } {
    this.expect(HEAD);
    const seq = this.integer();
    this.expect(',"timestamp_ms":');
    const timestampMs = this.integer();
    this.expect(',"families":[');
    return { seq, timestampMs };
  }

  /** A sample value as batch() takes it: a JSON number, "NaN", "+Inf" or "-Inf". */
  private valueToken(): void {
    const line = this.line;
    if (line.charCodeAt(this.p) !== QUOTE) return this.number();
    const text = line.startsWith('"NaN"', this.p) ? '"NaN"' : line.startsWith('"+Inf"', this.p) ? '"+Inf"' : line.startsWith('"-Inf"', this.p) ? '"-Inf"' : undefined;
    if (text === undefined) throw MISMATCH;
    this.p += text.length;
  }

  /**
   * One family object; returns whether any of its values changed.
   * @param changed when given, receives the new value of each changed sample by its position
   */
  private family(family: RenderedFamily, changed: (number | undefined)[] | undefined): boolean {
    // A help text with a quote, backslash or control character is escaped in JSON, so its
    // characters could match an escape sequence that decodes to something else.
    if (!plainHelp.has(family)) {
      if (NEEDS_JSON_ESCAPE.test(family.help)) throw MISMATCH;
      plainHelp.add(family);
    }
    this.expect('{"name":"');
    this.expect(family.name);
    this.expect('","type":"');
    this.expect(family.type);
    this.expect('","help":"');
    this.expect(family.help);
    this.expectChar(QUOTE);
    if (this.line.startsWith(',"unit":"', this.p)) {
      this.p += 9;
      this.skipString();
    }
    this.expect(',"samples":[');
    const old = family.text;
    const skip = family.name.length + 1 + this.agentLabels.length; // `name{instance="…"…`
    let q = 0; // start of the current line in `old`
    let anyChanged = false;
    for (let j = 0; j < family.series; j++) {
      if (j > 0) this.expectChar(0x2c); // ','
      this.expectChar(0x7b); // '{'
      q = this.labels(old, q + skip);
      // `old` is now at the '}' closing the labels, then ' ' and the value.
      if (old.charCodeAt(q) !== 0x7d || old.charCodeAt(q + 1) !== 0x20) throw MISMATCH;
      const valueAt = q + 2;
      const valueEnd = old.indexOf('\n', valueAt);
      if (valueEnd === -1) throw MISMATCH;
      this.expect('"value":');
      const value = this.value(old, valueAt, valueEnd);
      // Unchanged: what `old` shows, the family's value.
      this.values[(this.spanAt >> 1) - 1] = value ?? family.values[j]!;
      if (value !== undefined) {
        this.changes.at.push((this.spanAt >> 1) - 1);
        this.changes.to.push(value);
        anyChanged = true;
        if (changed) changed[j] = value;
      }
      this.expectChar(0x7d); // '}'
      q = valueEnd + 1;
    }
    if (q !== old.length) throw MISMATCH;
    this.expect(']}');
    return anyChanged;
  }

  /**
   * An optional `"labels":{...},` compared pair by pair with the rendered `,k="v"...` in
   * `old` from position q; returns the position in `old` after the last pair.
   */
  private labels(old: string, q: number): number {
    // `{"value"` or `{"labels"`: the second letter tells them apart.
    if (this.line.charCodeAt(this.p + 1) !== 0x6c) return q; // 'l'
    this.expect('"labels":{');
    if (this.line.charCodeAt(this.p) === 0x7d) {
      this.p++;
      this.expectChar(0x2c);
      return q;
    }
    for (;;) {
      if (old.charCodeAt(q) !== 0x2c) throw MISMATCH; // ','
      this.expectChar(QUOTE);
      q = this.sameChars(old, q + 1);
      this.expect('":"');
      if (old.charCodeAt(q) !== 0x3d || old.charCodeAt(q + 1) !== QUOTE) throw MISMATCH; // '="'
      q = this.sameChars(old, q + 2);
      this.p++; // the closing quote, checked by sameChars
      if (old.charCodeAt(q) !== QUOTE) throw MISMATCH;
      q++;
      const next = this.line.charCodeAt(this.p++);
      if (next === 0x7d) break; // '}'
      if (next !== 0x2c) throw MISMATCH;
    }
    this.expectChar(0x2c);
    return q;
  }

  /**
   * The JSON string content at p (up to its closing quote, which is left in place) must
   * equal `old` from q: plain characters only, no escapes. Returns q after it.
   */
  private sameChars(old: string, q: number): number {
    const line = this.line;
    let p = this.p;
    for (;;) {
      const c = line.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20 || c !== old.charCodeAt(q)) throw MISMATCH;
      p++;
      q++;
    }
    if (p === this.p) throw MISMATCH; // empty names and values render differently
    this.p = p;
    return q;
  }

  /** The sample value; returns it, or undefined if `old` shows it already (the same characters, quotes aside). */
  private value(old: string, at: number, end: number): number | undefined {
    const start = this.p;
    this.valueToken();
    if (this.spanAt >= this.spans.length) throw MISMATCH;
    this.spans[this.spanAt++] = start;
    this.spans[this.spanAt++] = this.p;
    const quoted = this.line.charCodeAt(start) === QUOTE ? 1 : 0;
    const length = this.p - start - 2 * quoted;
    // `old` shows canonical renderings, so equal text means an equal value.
    if (length === end - at && equalAt(this.line, start + quoted, old, at, length)) return undefined;
    return tokenValue(this.line, start, this.p);
  }

  /** A JSON number, by the grammar JSON.parse applies. */
  private number(): void {
    const line = this.line;
    if (line.charCodeAt(this.p) === 0x2d) this.p++; // '-'
    const first = line.charCodeAt(this.p);
    if (first === DIGIT_0) this.p++;
    else if (first > DIGIT_0 && first <= DIGIT_9) this.digits();
    else throw MISMATCH;
    if (line.charCodeAt(this.p) === 0x2e) { // '.'
      this.p++;
      this.digits();
    }
    const e = line.charCodeAt(this.p);
    if (e === 0x65 || e === 0x45) { // 'e' 'E'
      this.p++;
      const sign = line.charCodeAt(this.p);
      if (sign === 0x2b || sign === 0x2d) this.p++;
      this.digits();
    }
  }

  /** One or more digits; returns how many. */
  private digits(): number {
    const start = this.p;
    for (;;) {
      const c = this.line.charCodeAt(this.p);
      // Written so that NaN (past the end of the line) ends the run too.
      if (!(c >= DIGIT_0 && c <= DIGIT_9)) break;
      this.p++;
    }
    if (this.p === start) throw MISMATCH;
    return this.p - start;
  }

  /** A non-negative integer of at most 15 digits (exact in a double), as seq and timestamps are. */
  private integer(): number {
    const start = this.p;
    if (this.line.charCodeAt(start) === DIGIT_0) {
      this.p++;
    } else {
      this.digits();
      if (this.p - start > 15) throw MISMATCH;
    }
    const next = this.line.charCodeAt(this.p);
    if (next === 0x2e || next === 0x65 || next === 0x45) throw MISMATCH;
    return Number(this.line.slice(start, this.p));
  }

  /** A JSON string without escapes (the opening quote already read), through its closing quote. */
  private skipString(): void {
    const line = this.line;
    for (;;) {
      const c = line.charCodeAt(this.p++);
      if (c === QUOTE) return;
      if (c === BACKSLASH || c < 0x20 || Number.isNaN(c)) throw MISMATCH;
    }
  }

  private expectChar(code: number): void {
    if (this.line.charCodeAt(this.p) !== code) throw MISMATCH;
    this.p++;
  }

  /**
   * The line continues with `literal`. Short literals by a loop, long ones (names, help
   * texts) by String.prototype.startsWith, whose fixed cost only pays off past ~16 characters.
   */
  private expect(literal: string): void {
    const line = this.line;
    const p = this.p;
    const n = literal.length;
    if (n > 16) {
      if (!line.startsWith(literal, p)) throw MISMATCH;
    } else {
      for (let k = 0; k < n; k++) if (line.charCodeAt(p + k) !== literal.charCodeAt(k)) throw MISMATCH;
    }
    this.p = p + n;
  }
}
