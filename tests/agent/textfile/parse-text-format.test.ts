import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseTextFormat, TextFormatError, type ParsedFamily } from '../../../src/agent/textfile/parse-text-format.js';
import { familyHeader, formatValue, renderLabelPairs } from '../../../src/server/text-format/format.js';
import { findBinary, promtoolCheckMetrics } from '../../helpers/prometheus.js';

/** Documents Prometheus' own parser accepts, with what they mean. */
const VALID: Array<[string, string]> = [
  ['# TYPE a counter\na 1\n', 'a counter'],
  ['a{b="x\\"y\\\\z\\n",} +Inf\n', 'escapes and a trailing comma'],
  ['foo {a="b"} 1\n', 'a blank between name and labels'],
  ['  # a comment\n\n\t a 1.5e3\n', 'comments, blank lines, leading blanks'],
  ['# HELP h a\\\\b\\nc\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 3\nh_sum 4\nh_count 3\n', 'a histogram'],
  ['# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 2\ns_count 3\n', 'a summary'],
  ['a -1\nb NaN\nc -Inf\nd .5\ne 1E-3\n', 'value spellings'],
  ['a{x="1"} 1\nb 2\na{x="2"} 3\n', 'a family continued after another one'],
];

/** Documents Prometheus' own parser refuses. */
const INVALID: Array<[string, RegExp]> = [
  ['a{b="c" 1\n', /line 1: expected "," or "}"/],
  ['not a metric line at all\n', /line 1: not: unexpected "line"/],
  ['# TYPE a gauge\n# TYPE a counter\na 1\n', /line 2: second TYPE line for metric name a/],
  ['a 1\n# TYPE a gauge\n', /line 2: .*TYPE reported after samples/],
  ['# HELP a x\n# HELP a y\na 1\n', /line 2: second HELP line/],
  ['a 1x\n', /line 1: a: invalid value "1x"/],
  ['1bad 2\n', /line 1: expected a metric name/],
  ['a{b="\\q"} 1\n', /invalid escape sequence "\\q"/],
  ['a{b="1",b="2"} 1\n', /duplicate label name b/],
  ['a\n', /line 1: a: no value/],
  ['a-b 1\n', /line 1: invalid metric name "a-"/],
  ['# TYPE a gauge\n# TYPE b bogus\n', /line 2: unknown metric type "bogus"/],
  ['a 1 2 3\n', /line 1: a: unexpected "3"/],
  ['a 1 1.5\n', /line 1: a: invalid timestamp "1.5"/],
  ['a{1x="y"} 1\n', /line 1: invalid label name/],
  ['# TYPE h histogram\nh_bucket{le="x"} 1\n', /line 2: .*le="x" is not a number/],
];

/**
 * Histogram and summary samples without their bucket or quantile label: Prometheus' Go parser lets
 * them through (and drops them), we refuse the file, since a bucket without "le" means nothing.
 */
const STRICTER: Array<[string, RegExp]> = [
  ['# TYPE h histogram\nh_bucket 1\n', /line 2: .*needs an "le" label/],
  ['# TYPE h histogram\nh 1\n', /line 2: .*_bucket, _sum and _count/],
  ['# TYPE s summary\ns 1\n', /line 2: .*needs a "quantile" label/],
  ['# TYPE h histogram\nh_sum{le="1"} 1\n', /line 2: .*only _bucket samples have an "le" label/],
];

test('parses what Prometheus accepts', () => {
  for (const [text, what] of VALID) assert.doesNotThrow(() => parseTextFormat(text), what);
  const [h] = parseTextFormat(VALID[4]![0]);
  assert.equal(h!.help, 'a\\b\nc');
  assert.deepEqual(h!.samples.map((s) => [s.name, s.labels, s.value]), [['h_bucket', { le: '1' }, 2], ['h_bucket', { le: '+Inf' }, 3], ['h_sum', {}, 4], ['h_count', {}, 3]]);
  const [a] = parseTextFormat(VALID[1]![0]);
  assert.deepEqual(a!.samples[0]!.labels, { b: 'x"y\\z\n' });
  assert.equal(a!.samples[0]!.value, Infinity);
  assert.deepEqual(parseTextFormat(VALID[6]![0]).map((f) => f.samples[0]!.value), [-1, NaN, -Infinity, 0.5, 0.001]);
  assert.equal(parseTextFormat(VALID[7]![0]).find((f) => f.name === 'a')!.samples.length, 2);
  assert.equal(parseTextFormat('a 1 1700000000000\n')[0]!.samples[0]!.hasTimestamp, true);
});

test('refuses the rest with the line and the reason', () => {
  for (const [text, message] of [...INVALID, ...STRICTER]) {
    assert.throws(() => parseTextFormat(text), (err: unknown) => err instanceof TextFormatError && message.test(err.message), JSON.stringify(text));
  }
});

// The same corpus through Prometheus' own parser: promtool check metrics (Debian's prometheus).
test('agrees with promtool on every example', { skip: findBinary('promtool') || process.env.CI === 'true' ? false : 'promtool not installed' }, () => {
  for (const [text, what] of VALID) {
    const { output } = promtoolCheckMetrics(text);
    assert.doesNotMatch(output, /parsing error|error while linting/, `${what}: promtool refused what we accept:\n${output}`);
  }
  for (const [text] of INVALID) {
    const { status, output } = promtoolCheckMetrics(text);
    assert.ok(status !== 0 && /pars|error/i.test(output), `promtool accepted what we refuse: ${JSON.stringify(text)}\n${output}`);
  }
});

const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/);
const value = fc.oneof(fc.double().map((v) => (Object.is(v, -0) ? 0 : v)), fc.integer({ min: -1e9, max: 1e9 }).map(Number), fc.constantFrom(NaN, Infinity, -Infinity));
const familyArb = fc.record({
  name,
  type: fc.constantFrom('counter' as const, 'gauge' as const, 'untyped' as const),
  help: fc.string({ unit: 'binary', maxLength: 40 }).filter((h) => !/^[ \t]/.test(h)),
  samples: fc.uniqueArray(fc.dictionary(labelName, fc.string({ unit: "binary", maxLength: 20 }), { maxKeys: 4, noNullPrototype: true }), { minLength: 1, maxLength: 4, selector: (l) => JSON.stringify(Object.entries(l).sort()) })
    .chain((sets) => fc.tuple(...sets.map((labels) => value.map((v) => ({ labels, value: v }))))),
});

function render(families: Array<{ name: string; type: string; help: string; samples: Array<{ labels: Record<string, string>; value: number }> }>): string {
  return families.map((f) => familyHeader(f.name, f.type, f.help) + f.samples.map((s) => {
    const labels = renderLabelPairs(Object.entries(s.labels));
    return `${f.name}${labels === '' ? '' : `{${labels}}`} ${formatValue(s.value)}\n`;
  }).join('')).join('');
}

test('property: reads back exactly what the bridge\'s text-format writer writes', () => {
  fc.assert(fc.property(fc.uniqueArray(familyArb, { maxLength: 5, selector: (f) => f.name }), (families) => {
    const parsed = parseTextFormat(render(families));
    const clean = (fs: ParsedFamily[]) => fs.map((f) => ({ name: f.name, type: f.type, help: f.help, samples: f.samples.map((s) => ({ labels: s.labels, value: s.value })) }));
    assert.deepEqual(clean(parsed), families.map((f) => ({ ...f, samples: f.samples.map((s) => ({ labels: s.labels, value: s.value })) })));
  }), { numRuns: 300 });
});

test('property: any input either parses or throws TextFormatError, never anything else', () => {
  const noise = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.constantFrom('# TYPE a gauge', '# HELP a h', 'a 1', 'a{b="c"} 2', '{', '"', '\\', 'a{b="', '}', ' ', '\n', '# TYPE a histogram', 'a_bucket{le="1"} 1', 'NaN', '1e'), { maxLength: 20 }).map((p) => p.join('')));
  fc.assert(fc.property(noise, (text) => {
    try {
      parseTextFormat(text);
    } catch (err) {
      assert.ok(err instanceof TextFormatError, String(err));
    }
  }), { numRuns: 2000 });
});

test('property: cutting a valid document inside a sample line never yields a silently different sample', () => {
  fc.assert(fc.property(fc.uniqueArray(familyArb, { minLength: 1, maxLength: 3, selector: (f) => f.name }), fc.nat(), (families, cut) => {
    const text = render(families);
    const at = cut % text.length;
    const truncated = text.slice(0, at);
    let parsed: ParsedFamily[];
    try {
      parsed = parseTextFormat(truncated);
    } catch (err) {
      assert.ok(err instanceof TextFormatError);
      return;
    }
    // Whatever parsed must be a prefix of the original samples (a line cut in its value may read
    // as a shorter number, as in every line-based format; so compare names and labels only).
    const full = parseTextFormat(text);
    for (const f of parsed) {
      if (f.samples.length === 0) continue; // a HELP line cut short names a prefix of the family
      const original = full.find((o) => o.name === f.name)!;
      assert.ok(original, f.name);
      f.samples.forEach((s, i) => assert.deepEqual(s.labels, original.samples[i]!.labels));
    }
  }), { numRuns: 300 });
});
