import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readValue } from '../../../src/server/text-format/read-value.js';
import { formatValue } from '../../../src/server/text-format/format.js';

// Values read back from text (a rendered line, when /metrics text is brought up to date; an
// agent's JSON number on the repeat path) must be the very double that was written, bit for
// bit (its decimal fast path against Number()).

const read = (value: string): number => {
  const line = `x{instance="a"} ${value}\n`;
  return readValue(line, line.indexOf('} ') + 2, line.length - 1);
};

describe('readValue', () => {
  it('reads back every double exactly as the bridge rendered it', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        // -0 renders as 0 (String(-0)), on /metrics too.
        const expected = Object.is(v, -0) ? 0 : v;
        assert.ok(Object.is(read(formatValue(v)), expected), `${formatValue(v)} read as ${read(formatValue(v))}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads any decimal as Number() does: signs, leading zeros, long mantissas, dots anywhere', () => {
    const decimal = fc
      .tuple(fc.constantFrom('', '-'), fc.stringMatching(/^[0-9]{1,20}$/), fc.option(fc.stringMatching(/^[0-9]{0,20}$/)))
      .map(([sign, whole, fraction]) => `${sign}${whole}${fraction === null ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(decimal, (text) => {
        assert.ok(Object.is(read(text), Number(text)), `${text}: ${read(text)} vs ${Number(text)}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads the special values and exponents', () => {
    assert.equal(read('+Inf'), Infinity);
    assert.equal(read('-Inf'), -Infinity);
    assert.ok(Number.isNaN(read('NaN')));
    assert.ok(Object.is(read('-0'), -0));
    assert.equal(read('1e+21'), 1e21);
    assert.equal(read('5e-324'), 5e-324);
    assert.equal(read('0.1'), 0.1);
    assert.equal(read('9007199254740993'), 9007199254740992);
  });
});
