// Reads back one sample line of the bridge's own rendered exposition text
// (`name{instance="id",k="v",...} value`, see text-format/format.ts): what /metrics shows for a
// series is exactly what remote_write sends for it. The text was rendered by the bridge, so it
// is well-formed; this is not a parser for untrusted input.

/** A sample line's metric name and label pairs (unescaped), in line order. */
export interface LineSeries {
  name: string;
  labels: [string, string][];
  /** Where the value starts in the text (after `} `). */
  valueAt: number;
}

const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** Reads the name and labels of the line starting at `from` in `text`. */
export function readLineSeries(text: string, from: number): LineSeries {
  let p = text.indexOf('{', from);
  const space = text.indexOf(' ', from);
  if (p === -1 || (space !== -1 && space < p)) {
    // No labels at all (never rendered by the bridge, which always adds instance; kept for safety).
    return { name: text.slice(from, space), labels: [], valueAt: space + 1 };
  }
  const name = text.slice(from, p);
  const labels: [string, string][] = [];
  p++; // '{'
  while (text.charCodeAt(p) !== CLOSE_BRACE) {
    const eq = text.indexOf('=', p);
    const labelName = text.slice(p, eq);
    p = eq + 2; // '="'
    let value = '';
    let start = p;
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(p + 1);
        value += text.slice(start, p) + (next === 0x6e ? '\n' : String.fromCharCode(next));
        p += 2;
        start = p;
        continue;
      }
      if (Number.isNaN(c)) throw new Error(`unterminated label value in line at ${from}`);
      p++;
    }
    value += text.slice(start, p);
    labels.push([labelName, value]);
    p++; // closing quote
    if (text.charCodeAt(p) === COMMA) p++;
  }
  return { name, labels, valueAt: p + 2 }; // '} '
}

/** Exact powers of ten as doubles (10^22 is the last one a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Decimal digits that always fit a double's 53-bit mantissa exactly. */
const EXACT_DIGITS = 15;

/** The value of a sample line, `end` being the position of its line feed. */
export function readLineValue(text: string, at: number, end: number): number {
  // Most values are plain decimals (`1234`, `-0.25`): read in place, without a slice. With at
  // most 15 digits both the digits and the power of ten are exact doubles, and one IEEE
  // division rounds correctly, so the result is what Number() gives (Clinger's fast path).
  let p = at;
  const negative = text.charCodeAt(p) === 0x2d;
  if (negative) p++;
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; p < end; p++) {
    const c = text.charCodeAt(p);
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 0x2e && decimals < 0) {
      decimals = 0;
    } else {
      return readOtherValue(text.slice(at, end));
    }
  }
  if (digits === 0 || digits > EXACT_DIGITS) return readOtherValue(text.slice(at, end));
  const value = decimals > 0 ? mantissa / POW10[decimals]! : mantissa;
  return negative ? -value : value;
}

/** Exponents, long digit strings, NaN and ±Inf. */
function readOtherValue(raw: string): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return Number(raw); // NaN reads as NaN
}
