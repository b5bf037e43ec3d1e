// A strict parser of the Prometheus text exposition format 0.0.4, for the textfile collector.
// It accepts what Prometheus' own Go parser (prometheus/common expfmt TextParser, which
// node_exporter's textfile collector uses) accepts and refuses the rest with the line number:
// the lenient npm parsers turn "not a metric" into a sample, and a textfile must not.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export type TextFormatType = 'counter' | 'gauge' | 'untyped' | 'histogram' | 'summary';
const TYPES: readonly TextFormatType[] = ['counter', 'gauge', 'untyped', 'histogram', 'summary'];

export interface ParsedSample {
  /** The sample's own name: for histograms and summaries it carries _bucket, _sum or _count. */
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Line the sample came from, for error messages of later checks. */
  lineNo: number;
  hasTimestamp: boolean;
}

export interface ParsedFamily {
  name: string;
  type: TextFormatType;
  /** undefined when the text has no HELP line for it. */
  help: string | undefined;
  samples: ParsedSample[];
}

export class TextFormatError extends Error {
  constructor(readonly lineNo: number, message: string) {
    super(`line ${lineNo}: ${message}`);
    this.name = 'TextFormatError';
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])$/;
const TIMESTAMP = /^-?\d+$/;

/** Parses a whole document; throws TextFormatError at the first problem. */
export function parseTextFormat(text: string): ParsedFamily[] {
  const state: ParseState = { families: new Map(), withSamples: new Set(), helped: new Set(), typed: new Set() };
  const { families, withSamples } = state;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '') return;
    if (line.startsWith('#')) {
      parseComment(line, lineNo, state);
      return;
    }
    const sample = parseSample(line, lineNo);
    const family = familyOf(sample, families, lineNo);
    checkSampleShape(family, sample, lineNo);
    withSamples.add(family.name);
    family.samples.push(sample);
  });
  return [...families.values()];
}

interface ParseState {
  families: Map<string, ParsedFamily>;
  /** Families that already have samples: a TYPE after them is an error. */
  withSamples: Set<string>;
  helped: Set<string>;
  typed: Set<string>;
}

function parseComment(line: string, lineNo: number, { families, withSamples, helped, typed }: ParseState): void {
  const m = /^#[ \t]*(HELP|TYPE)[ \t]+(.*)$/s.exec(line);
  if (!m) return; // any other comment
  const [, keyword, rest] = m as unknown as [string, 'HELP' | 'TYPE', string];
  const name = METRIC_NAME.exec(rest)?.[0];
  if (name === undefined) {
    if (/^[ \t]*$/.test(rest)) return; // "# HELP" alone is a comment to expfmt too
    throw new TextFormatError(lineNo, `invalid metric name in ${keyword} line: ${JSON.stringify(rest.slice(0, 80))}`);
  }
  const after = rest.slice(name.length);
  if (after !== '' && !/^[ \t]/.test(after)) throw new TextFormatError(lineNo, `invalid metric name in ${keyword} line: ${JSON.stringify(rest.slice(0, 80))}`);
  const family = families.get(name) ?? { name, type: 'untyped' as TextFormatType, help: undefined, samples: [] };
  if (keyword === 'HELP') {
    if (helped.has(name)) throw new TextFormatError(lineNo, `second HELP line for metric name ${name}`);
    helped.add(name);
    family.help = unescapeHelp(after.replace(/^[ \t]+/, ''), lineNo);
  } else {
    const type = after.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!(TYPES as readonly string[]).includes(type)) throw new TextFormatError(lineNo, `unknown metric type ${JSON.stringify(type)}`);
    if (typed.has(name) || withSamples.has(name)) {
      throw new TextFormatError(lineNo, `second TYPE line for metric name ${name}, or TYPE reported after samples`);
    }
    family.type = type as TextFormatType;
    typed.add(name);
  }
  families.set(name, family);
}

function unescapeHelp(text: string, lineNo: number): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new TextFormatError(lineNo, `invalid escape sequence "\\${c}" in HELP`);
  });
}

function parseSample(line: string, lineNo: number): ParsedSample {
  const name = METRIC_NAME.exec(line)?.[0];
  if (name === undefined) throw new TextFormatError(lineNo, `expected a metric name, got ${JSON.stringify(line.slice(0, 80))}`);
  let pos = skipBlanks(line, name.length);
  const labels: Record<string, string> = {};
  if (line[pos] === '{') pos = parseLabels(line, pos + 1, labels, lineNo);
  else if (pos === name.length && pos < line.length) throw new TextFormatError(lineNo, `invalid metric name ${JSON.stringify(line.slice(0, pos + 1))}`);
  const fields = line.slice(pos).split(/[ \t]+/).filter((f) => f !== '');
  if (fields.length === 0) throw new TextFormatError(lineNo, `${name}: no value`);
  if (fields.length > 2) throw new TextFormatError(lineNo, `${name}: unexpected ${JSON.stringify(fields[2]!.slice(0, 40))} after value and timestamp`);
  const value = parseFloatStrict(fields[0]!, name, lineNo);
  if (fields[1] !== undefined && !TIMESTAMP.test(fields[1])) throw new TextFormatError(lineNo, `${name}: invalid timestamp ${JSON.stringify(fields[1])}`);
  return { name, labels, value, lineNo, hasTimestamp: fields[1] !== undefined };
}

function skipBlanks(line: string, pos: number): number {
  while (line[pos] === ' ' || line[pos] === '\t') pos++;
  return pos;
}

/** Reads `name="value",...}` from pos (just after '{'); returns the position after '}'. */
function parseLabels(line: string, pos: number, labels: Record<string, string>, lineNo: number): number {
  for (;;) {
    pos = skipBlanks(line, pos);
    if (line[pos] === '}') return pos + 1;
    const label = LABEL_NAME.exec(line.slice(pos))?.[0];
    if (label === undefined) throw new TextFormatError(lineNo, `invalid label name at ${JSON.stringify(line.slice(pos, pos + 40))}`);
    if (Object.hasOwn(labels, label)) throw new TextFormatError(lineNo, `duplicate label name ${label}`);
    pos = skipBlanks(line, pos + label.length);
    if (line[pos] !== '=') throw new TextFormatError(lineNo, `expected "=" after label name ${label}`);
    pos = skipBlanks(line, pos + 1);
    if (line[pos] !== '"') throw new TextFormatError(lineNo, `expected '"' to open the value of label ${label}`);
    pos++;
    let value = '';
    for (;;) {
      const c = line[pos];
      if (c === undefined) throw new TextFormatError(lineNo, `unterminated value of label ${label}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = line[pos + 1];
        if (e === '\\' || e === '"') value += e;
        else if (e === 'n') value += '\n';
        else throw new TextFormatError(lineNo, `invalid escape sequence "\\${e ?? ''}" in the value of label ${label}`);
        pos += 2;
        continue;
      }
      value += c;
      pos++;
    }
    labels[label] = value;
    pos = skipBlanks(line, pos + 1);
    if (line[pos] === ',') {
      pos++;
      continue;
    }
    if (line[pos] === '}') return pos + 1;
    throw new TextFormatError(lineNo, `expected "," or "}" after the value of label ${label}`);
  }
}

function parseFloatStrict(text: string, name: string, lineNo: number): number {
  if (!FLOAT.test(text)) throw new TextFormatError(lineNo, `${name}: invalid value ${JSON.stringify(text.slice(0, 40))}`);
  const lower = text.toLowerCase();
  if (lower.endsWith('nan')) return NaN;
  if (lower.includes('inf')) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** The family a sample belongs to: its own name, or a histogram or summary it is a part of. */
function familyOf(sample: ParsedSample, families: Map<string, ParsedFamily>, lineNo: number): ParsedFamily {
  const own = families.get(sample.name);
  if (own !== undefined) return own;
  const m = /^(.+)_(sum|count|bucket)$/.exec(sample.name);
  if (m) {
    const base = families.get(m[1]!);
    if (base !== undefined && (base.type === 'summary' || base.type === 'histogram')) {
      if (m[2] === 'bucket' && base.type === 'summary') throw new TextFormatError(lineNo, `${sample.name}: summaries have no _bucket series`);
      return base;
    }
  }
  const created: ParsedFamily = { name: sample.name, type: 'untyped', help: undefined, samples: [] };
  families.set(sample.name, created);
  return created;
}

function checkSampleShape(family: ParsedFamily, sample: ParsedSample, lineNo: number): void {
  const suffix = sample.name.slice(family.name.length);
  if (family.type === 'histogram') {
    if (suffix === '') throw new TextFormatError(lineNo, `${sample.name}: a histogram's samples are ${family.name}_bucket, _sum and _count`);
    if (suffix === '_bucket' && sample.labels.le === undefined) throw new TextFormatError(lineNo, `${sample.name}: a bucket needs an "le" label`);
    if (suffix === '_bucket' && !FLOAT.test(sample.labels.le!)) throw new TextFormatError(lineNo, `${sample.name}: le="${sample.labels.le}" is not a number`);
    if (suffix !== '_bucket' && sample.labels.le !== undefined) throw new TextFormatError(lineNo, `${sample.name}: only _bucket samples have an "le" label`);
  }
  if (family.type === 'summary') {
    if (suffix === '' && sample.labels.quantile === undefined) throw new TextFormatError(lineNo, `${sample.name}: a summary quantile needs a "quantile" label`);
    if (suffix === '' && !FLOAT.test(sample.labels.quantile!)) throw new TextFormatError(lineNo, `${sample.name}: quantile="${sample.labels.quantile}" is not a number`);
    if (suffix !== '' && sample.labels.quantile !== undefined) throw new TextFormatError(lineNo, `${sample.name}: only quantile samples have a "quantile" label`);
  }
}
