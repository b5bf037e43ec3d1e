// Reads a sample value back from text: the value of a rendered exposition line (where
// formatValue put it), or a JSON number token of an agent's line. Either way the very double
// Number() gives, without a slice for the common plain decimals.

/** Exact powers of ten as doubles (10^22 is the last one a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Decimal digits that always fit a double's 53-bit mantissa exactly. */
const EXACT_DIGITS = 15;

/**
 * The value written in text[at, end): a decimal (`1234`, `-0.25`), or anything Number() reads
 * (exponents, long digit strings), or NaN, +Inf, -Inf as formatValue writes them.
 */
export function readValue(text: string, at: number, end: number): number {
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
