import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSinkHello, parseSinkReply, signSinkHello, signSinkResult, verifySinkHello, verifySinkResult } from '../../../src/agent/probes/sink-protocol.js';

const SECRET = Buffer.from('sink-protocol-secret-01');
const fields = { task: 'bw-1', session: '0123456789abcdef', t0: 1_700_000_000_000.25, duration_ms: 2000, warmup_ms: 500 };

describe('sink protocol lines', () => {
  it('signs and verifies a hello through JSON, and rejects any changed field', () => {
    const parsed = parseSinkHello(JSON.stringify(signSinkHello(SECRET, fields)));
    assert.ok(parsed);
    assert.equal(verifySinkHello(SECRET, parsed), true);
    assert.equal(verifySinkHello(Buffer.from('another-secret-value-x'), parsed), false);
    for (const change of [{ duration_ms: 20_000 }, { warmup_ms: 0 }, { task: 'bw-2' }, { t0: fields.t0 + 1 }]) {
      assert.equal(verifySinkHello(SECRET, { ...parsed, ...change }), false, JSON.stringify(change));
    }
  });

  it('rejects malformed hellos', () => {
    const good = signSinkHello(SECRET, fields);
    for (const bad of ['', 'null', '[]', '{', JSON.stringify({ ...good, v: 2 }), JSON.stringify({ ...good, task: '../x' }), JSON.stringify({ ...good, session: 'xyz' }), JSON.stringify({ ...good, warmup_ms: 2000 }), JSON.stringify({ ...good, duration_ms: 1.5 }), JSON.stringify({ ...good, mac: 'abc' })]) {
      assert.equal(parseSinkHello(bad), undefined, bad);
    }
  });

  it('signs results so a sender can trust the count', () => {
    const result = signSinkResult(SECRET, fields.session, { bytes: 10, duration_ms: 5, window_bytes: 8, window_ms: 4, truncated: false });
    const parsed = parseSinkReply(JSON.stringify(result));
    assert.ok(parsed?.type === 'sink_result');
    assert.equal(verifySinkResult(SECRET, fields.session, parsed), true);
    assert.equal(verifySinkResult(SECRET, 'fedcba9876543210', parsed), false);
    assert.equal(verifySinkResult(SECRET, fields.session, { ...parsed, window_bytes: 80 }), false);
  });
});
