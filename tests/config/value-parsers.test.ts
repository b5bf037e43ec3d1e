import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteSizeBetween, parseDuration, parseHostPort, parseHostPortList, parseHttpUrl, parseLabels, parsePort } from '../../src/config/value-parsers.js';

describe('value parsers', () => {
  it('parses Prometheus-style durations', () => {
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('24h'), 86_400_000);
    for (const bad of ['5 min', '5', '', 's', '5x', '-5s', '5s ms']) assert.throws(() => parseDuration(bad), /is not a duration; use e\.g\. 5s, 500ms/, bad);
  });

  it('parses host:port including IPv6 brackets', () => {
    assert.deepEqual(parseHostPort('bridge:9700'), { host: 'bridge', port: 9700 });
    assert.deepEqual(parseHostPort('[::1]:9700'), { host: '::1', port: 9700 });
    for (const bad of ['bridge', 'bridge:', ':9700', 'bridge:99999', 'a b:1']) assert.throws(() => parseHostPort(bad), /is not host:port/, bad);
  });

  it('parses http(s) URLs for the console links, without a trailing slash', () => {
    assert.equal(parseHttpUrl('http://grafana.example:3000/'), 'http://grafana.example:3000');
    assert.equal(parseHttpUrl(' https://example.com/grafana/ '), 'https://example.com/grafana');
    for (const bad of ['grafana:3000', 'ftp://x', 'javascript:alert(1)', '']) assert.throws(() => parseHttpUrl(bad), /is not (a|an http\(s\)) URL/, bad);
  });

  it('parses ports and sizes', () => {
    assert.equal(parsePort('0'), 0);
    assert.throws(() => parsePort('70000'), /not a port/);
    assert.throws(() => parsePort('http'), /not a port/);
    const size = byteSizeBetween(1024, 64 * 1024 ** 2);
    assert.equal(size('1MiB'), 1048576);
    assert.equal(size('2048'), 2048);
    assert.throws(() => size('1 parsec'), /not a size/);
    assert.throws(() => size('100'), /out of range/);
  });

  it('parses static labels and refuses bad names', () => {
    assert.deepEqual(parseLabels('env=prod, rack=r1'), { env: 'prod', rack: 'r1' });
    assert.deepEqual(parseLabels(''), {});
    assert.deepEqual(parseLabels('url=a=b'), { url: 'a=b' });
    assert.throws(() => parseLabels('bad-name=x'), /bad part: "bad-name=x"/);
    assert.throws(() => parseLabels('__x=1'), /not a list of labels/);
    assert.throws(() => parseLabels('a=1,a=2'), /sets label "a" twice/);
  });
});

describe('static labels on the agent', () => {
  it('refuses what the bridge would refuse, at start-up instead of on every reconnect', () => {
    for (const name of ['instance', 'job', 'version', 'address', 'protocol']) {
      assert.throws(() => parseLabels(`${name}=x`), /is invalid or reserved/, name);
    }
    assert.throws(() => parseLabels(Array.from({ length: 33 }, (_, i) => `l${i}=v`).join(',')), /at most 32/);
  });
});

describe('parseRegExp', () => {
  it('compiles a field filter and reports a broken one with the engine\'s reason', async () => {
    const { parseRegExp } = await import('../../src/config/value-parsers.js');
    assert.ok(parseRegExp('^Tcp_(InSegs|OutSegs)$').test('Tcp_InSegs'));
    assert.throws(() => parseRegExp('^(Tcp'), /is not a valid regular expression: .*Unterminated group/);
    assert.throws(() => parseRegExp(''), /is empty/);
  });
});

describe('parseHostPortList (FLEETPULSE_SERVER)', () => {
  it('reads one bridge or several, in order', () => {
    assert.deepEqual(parseHostPortList('bridge:9700'), [{ host: 'bridge', port: 9700 }]);
    assert.deepEqual(parseHostPortList('a:9700, [::1]:9800'), [{ host: 'a', port: 9700 }, { host: '::1', port: 9800 }]);
  });

  it('names the bad entry', () => {
    assert.throws(() => parseHostPortList('a:9700,b'), /entry 2 of 2 \("b"\) is not host:port/);
    assert.throws(() => parseHostPortList('a:9700,,b:1'), /empty entry 2 of 3/);
    assert.throws(() => parseHostPortList('a:9700,a:9700'), /lists a:9700 twice/);
    assert.throws(() => parseHostPortList('bridge'), /"bridge" is not host:port/);
  });
});
