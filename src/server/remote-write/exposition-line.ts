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
