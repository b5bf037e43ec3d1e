import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrantTable } from '../../../src/agent/probes/grants.js';

const SECRET = 'sixteen-byte-secret!';

describe('GrantTable', () => {
  it('forgets a grant when its ttl has passed', () => {
    let now = 1000;
    const table = new GrantTable({ nowMs: () => now });
    table.allow('t1', SECRET, 500);
    assert.ok(table.lookup('t1'));
    now = 1499;
    assert.ok(table.lookup('t1'));
    now = 1500;
    assert.equal(table.lookup('t1'), undefined);
    assert.equal(table.size, 0);
  });

  it('answers each (session, seq) once and counts distinct arrivals per session', () => {
    const grant = (() => {
      const table = new GrantTable();
      table.allow('t1', SECRET, 60_000);
      return table.lookup('t1')!;
    })();
    assert.equal(grant.recordProbe('aaaaaaaaaaaaaaaa', 0), 'new');
    assert.equal(grant.recordProbe('aaaaaaaaaaaaaaaa', 1), 'new');
    assert.equal(grant.recordProbe('aaaaaaaaaaaaaaaa', 1), 'replay');
    assert.equal(grant.recordProbe('bbbbbbbbbbbbbbbb', 1), 'new');
    assert.equal(grant.receivedCount('aaaaaaaaaaaaaaaa'), 2);
    assert.equal(grant.receivedCount('cccccccccccccccc'), 0);
  });

  it('refuses sessions beyond the limit instead of forgetting old ones (which would reopen replays)', () => {
    const table = new GrantTable({ maxSessionsPerGrant: 2 });
    table.allow('t1', SECRET, 60_000);
    const grant = table.lookup('t1')!;
    assert.equal(grant.recordProbe('0000000000000001', 0), 'new');
    assert.equal(grant.recordProbe('0000000000000002', 0), 'new');
    assert.equal(grant.recordProbe('0000000000000003', 0), 'session_limit');
    assert.equal(grant.recordSink('0000000000000001'), 'new');
    assert.equal(grant.recordSink('0000000000000001'), 'replay');
  });

  it('keeps replay memory when re-granted with the same secret, starts afresh with a new one', () => {
    const table = new GrantTable();
    table.allow('t1', SECRET, 60_000);
    table.lookup('t1')!.recordProbe('aaaaaaaaaaaaaaaa', 0);
    table.allow('t1', SECRET, 120_000);
    assert.equal(table.lookup('t1')!.recordProbe('aaaaaaaaaaaaaaaa', 0), 'replay');
    table.allow('t1', 'a-different-secret-value', 60_000);
    assert.equal(table.lookup('t1')!.recordProbe('aaaaaaaaaaaaaaaa', 0), 'new');
  });

  it('rejects bad task ids, short secrets and bad ttls', () => {
    const table = new GrantTable();
    assert.throws(() => table.allow('../etc', SECRET, 1000), RangeError);
    assert.throws(() => table.allow('t1', 'short', 1000), RangeError);
    assert.throws(() => table.allow('t1', SECRET, 0), RangeError);
    assert.throws(() => table.allow('t1', SECRET, Number.NaN), RangeError);
  });
});
