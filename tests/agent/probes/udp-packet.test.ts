import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PACKET_BYTES, PacketKind, decodePacket, encodePacket, verifyPacket, type ProbePacket } from '../../../src/agent/probes/udp-packet.js';

const SECRET = 'a-secret-of-sixteen-plus-bytes';
const request: ProbePacket = { kind: PacketKind.echoRequest, taskId: 'task-1', sessionId: '0123456789abcdef', seq: 7, received: 0, t0Ms: 1_700_000_000_123.456, t1Ms: 0, t2Ms: 0 };

describe('udp probe packet', () => {
  it('round-trips every field and verifies with the right secret only', () => {
    const bytes = encodePacket(request, SECRET);
    assert.equal(bytes.length, 48 + 'task-1'.length + 32);
    const decoded = decodePacket(bytes);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.packet, request);
    assert.equal(verifyPacket(decoded, SECRET), true);
    assert.equal(verifyPacket(decoded, 'another-secret-sixteen-bytes'), false);
  });

  it('does not carry the secret itself', () => {
    assert.equal(encodePacket(request, SECRET).includes(Buffer.from(SECRET)), false);
  });

  it('detects a change to any signed byte', () => {
    const bytes = encodePacket(request, SECRET);
    for (const offset of [5, 8, 16, 20, 24, 32, 40, 48]) {
      const tampered = Buffer.from(bytes);
      tampered[offset] = tampered[offset]! ^ (offset === 5 ? 0x03 : 0x01);
      const decoded = decodePacket(tampered);
      assert.ok(!decoded.ok || !verifyPacket(decoded, SECRET), `byte ${offset}`);
    }
  });

  it('gives a reply exactly the size of its request', () => {
    const reply = encodePacket({ ...request, kind: PacketKind.echoReply, received: 3, t1Ms: 1, t2Ms: 2 }, SECRET);
    assert.equal(reply.length, encodePacket(request, SECRET).length);
  });

  it('rejects oversized and malformed datagrams without looking further', () => {
    assert.deepEqual(decodePacket(Buffer.alloc(MAX_PACKET_BYTES + 1)), { ok: false, reason: 'oversized' });
    assert.deepEqual(decodePacket(Buffer.from('hello')), { ok: false, reason: 'malformed' });
    assert.deepEqual(decodePacket(Buffer.alloc(100)), { ok: false, reason: 'malformed' });
    const bytes = encodePacket(request, SECRET);
    assert.deepEqual(decodePacket(bytes.subarray(0, bytes.length - 1)), { ok: false, reason: 'malformed' });
    const badSeq = Buffer.from(bytes);
    badSeq.writeUInt32BE(5000, 16);
    assert.deepEqual(decodePacket(badSeq), { ok: false, reason: 'malformed' });
    const badTask = encodePacket({ ...request, taskId: 'has space' }, SECRET);
    assert.deepEqual(decodePacket(badTask), { ok: false, reason: 'malformed' });
  });
});
