import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHelp, escapeLabelValue, familyHeader, formatValue, renderLabelPairs } from '../../../src/server/text-format/format.js';

describe('text format', () => {
  it('escapes backslash, double quote and newline in label values, in that order', () => {
    assert.equal(escapeLabelValue('plain'), 'plain');
    assert.equal(escapeLabelValue('a"b'), 'a\\"b');
    assert.equal(escapeLabelValue('a\nb'), 'a\\nb');
    assert.equal(escapeLabelValue('C:\\path'), 'C:\\\\path');
    // An already-escaped-looking input must not collapse: \n (two chars) becomes \\n.
    assert.equal(escapeLabelValue('\\n'), '\\\\n');
    assert.equal(escapeLabelValue('"}\nfake_metric 1\n'), '\\"}\\nfake_metric 1\\n');
  });

  it('escapes backslash and newline in HELP but leaves quotes', () => {
    assert.equal(escapeHelp('say "hi"\\ \n'), 'say "hi"\\\\ \\n');
  });

  it('formats special float values the way Prometheus parses them', () => {
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(-Infinity), '-Inf');
    assert.equal(formatValue(1e21), '1e+21');
    assert.equal(formatValue(-0.5), '-0.5');
    assert.equal(formatValue(123), '123');
  });

  it('renders a family header and label pairs', () => {
    assert.equal(familyHeader('m', 'gauge', 'h'), '# HELP m h\n# TYPE m gauge\n');
    assert.equal(renderLabelPairs([['a', '1'], ['b', 'x"y']]), 'a="1",b="x\\"y"');
  });
});
