import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Networks, isSpecialAddress, parseCidr, probeDialAddress } from '../../src/net/address-policy.js';

describe('address policy for probe targets', () => {
  it('parses CIDRs and bare addresses, and refuses anything else with a reason', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseCidr('fd00::/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
    assert.deepEqual(parseCidr('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'example.com/8', '10.0.0.0/8/1', '10.0.0.0/-1', '', 'fd00::/129']) assert.throws(() => parseCidr(bad), RangeError, bad);
  });

  it('knows loopback, link-local, multicast and unspecified, in both families', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '169.254.10.1', '224.0.0.251', '239.1.1.1', '0.0.0.0', '255.255.255.255', '::1', 'fe80::1', 'ff02::1', '::']) assert.ok(isSpecialAddress(a), a);
    for (const a of ['10.0.0.5', '192.168.1.1', '8.8.8.8', 'fd00::5', '2001:db8::1', 'host.example']) assert.ok(!isSpecialAddress(a), a);
  });

  it('dials the observed address, the advertised one only inside the allowed networks, and no special address unless allowed', () => {
    const none = new Networks([]);
    assert.deepEqual(probeDialAddress('10.0.0.5', undefined, none), { address: '10.0.0.5', notes: [] });
    const victim = probeDialAddress('10.0.0.5', '203.0.113.9', none);
    assert.equal(victim.address, '10.0.0.5', 'an advertised third party is never dialled');
    assert.match(victim.notes[0]!, /203\.0\.113\.9 is not used/);
    assert.equal(probeDialAddress('10.0.0.5', 'db.internal', none).address, '10.0.0.5', 'nor a name');
    assert.equal(probeDialAddress('10.0.0.5', '10.1.2.3', new Networks(['10.0.0.0/8'])).address, '10.1.2.3');
    assert.equal(probeDialAddress('10.0.0.5', '127.0.0.1', new Networks(['10.0.0.0/8'])).address, '10.0.0.5', 'loopback advertised: not in the list');
    const local = probeDialAddress('127.0.0.1', undefined, none);
    assert.equal(local.address, undefined, 'an agent on the bridge host: peers elsewhere would dial themselves');
    assert.match(local.notes[0]!, /loopback, link-local, multicast/);
    assert.equal(probeDialAddress('127.0.0.1', undefined, new Networks(['127.0.0.0/8'])).address, '127.0.0.1');
    assert.equal(probeDialAddress('::1', undefined, new Networks(['::1/128'])).address, '::1');
    assert.equal(probeDialAddress('fe80::1', undefined, new Networks(['10.0.0.0/8'])).address, undefined);
  });
});
