import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ProbeResponder } from '../../../src/agent/probes/responder.js';
import { eventually } from '../../helpers/http.js';
import { signSinkHello } from '../../../src/agent/probes/sink-protocol.js';
import { PacketKind, decodePacket, encodePacket, verifyPacket, type ProbePacket } from '../../../src/agent/probes/udp-packet.js';

const SECRET = 'responder-test-secret-1';
const OTHER_SECRET = 'responder-test-secret-2';
/** A limit for a hang, not a timing assertion: a reply or a counted drop ends the wait long before. */
const DEADLINE_MS = 20_000;

let nextSession = 1;
function probe(taskId: string, overrides: Partial<ProbePacket> = {}): ProbePacket {
  return { kind: PacketKind.echoRequest, taskId, sessionId: (nextSession++).toString(16).padStart(16, '0'), seq: 0, received: 0, t0Ms: Date.now(), t1Ms: 0, t2Ms: 0, ...overrides };
}

const drops = (responder: ProbeResponder): number => Object.values(responder.counters().udpDropped).reduce((a, b) => a + b, 0);

/**
 * Sends one datagram from a fresh socket; resolves with the reply, or with undefined once the
 * responder has counted the datagram as dropped: proof that no reply is coming, however slow
 * this machine is, without waiting a fixed time for silence.
 */
async function exchangeWith(responder: ProbeResponder, port: number, datagram: Buffer): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  const dropsBefore = drops(responder);
  let reply: Buffer | undefined;
  socket.on('message', (r) => (reply ??= r));
  socket.send(datagram, port, '127.0.0.1');
  try {
    const deadline = Date.now() + DEADLINE_MS;
    while (reply === undefined && drops(responder) === dropsBefore) {
      if (Date.now() > deadline) throw new Error(`neither a reply nor a counted drop within ${DEADLINE_MS} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return reply;
  } finally {
    socket.close();
  }
}

/** Writes to the TCP sink and collects what comes back until it closes (or DEADLINE_MS pass). */
function tcpExchange(port: number, payload: string | Buffer): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, DEADLINE_MS);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(payload);
  });
}

describe('ProbeResponder', () => {
  const responder = new ProbeResponder({ host: '127.0.0.1', port: 0, helloTimeoutMs: 500 });
  let port = 0;
  const exchange = (datagram: Buffer) => exchangeWith(responder, port, datagram);
  before(async () => {
    port = (await responder.start()).port;
    responder.allow('task-a', SECRET, 60_000);
    responder.allow('task-b', OTHER_SECRET, 60_000);
  });
  after(() => responder.stop());

  it('answers a signed probe with a same-size signed reply carrying t1, t2 and the count', async () => {
    const request = probe('task-a', { seq: 3 });
    const bytes = encodePacket(request, SECRET);
    const reply = await exchange(bytes);
    assert.ok(reply, 'no reply');
    assert.equal(reply.length, bytes.length);
    const decoded = decodePacket(reply);
    assert.ok(decoded.ok && verifyPacket(decoded, SECRET));
    const p = decoded.packet;
    assert.equal(p.kind, PacketKind.echoReply);
    assert.deepEqual([p.seq, p.sessionId, p.t0Ms, p.received], [3, request.sessionId, request.t0Ms, 1]);
    assert.ok(p.t1Ms > 0 && p.t2Ms >= p.t1Ms);
  });

  it('drops, counts and keeps serving: wrong secret, unknown task, garbage, oversized, replays, stale', async () => {
    const before = responder.counters();
    const valid = probe('task-a');
    assert.ok(await exchange(encodePacket(valid, SECRET)));
    assert.equal(await exchange(encodePacket(probe('task-a'), OTHER_SECRET)), undefined, 'wrong secret');
    assert.equal(await exchange(encodePacket(probe('task-zzz'), SECRET)), undefined, 'unknown task');
    assert.equal(await exchange(Buffer.from('GET / HTTP/1.0\r\n\r\n')), undefined, 'garbage');
    assert.equal(await exchange(Buffer.alloc(1400, 0x41)), undefined, 'oversized');
    assert.equal(await exchange(encodePacket(valid, SECRET)), undefined, 'replay');
    assert.equal(await exchange(encodePacket(probe('task-a', { t0Ms: Date.now() - 3_600_000 }), SECRET)), undefined, 'stale');
    // A reply sent back at the responder is not a request.
    assert.equal(await exchange(encodePacket(probe('task-a', { kind: PacketKind.echoReply }), SECRET)), undefined, 'reply as request');
    assert.ok(await exchange(encodePacket(probe('task-b'), OTHER_SECRET)), 'other task still served');
    const now = responder.counters();
    const grew = (reason: keyof typeof now.udpDropped): number => now.udpDropped[reason] - before.udpDropped[reason];
    assert.deepEqual(
      { bad_mac: grew('bad_mac'), unknown_task: grew('unknown_task'), malformed: grew('malformed'), oversized: grew('oversized'), replay: grew('replay'), stale: grew('stale') },
      { bad_mac: 1, unknown_task: 1, malformed: 2, oversized: 1, replay: 1, stale: 1 },
    );
    assert.equal(now.udpAnswered - before.udpAnswered, 2);
  });

  it('reports how many probes of a session arrived, in replies and in a summary', async () => {
    const sessionId = 'feedfacecafe0001';
    for (const seq of [0, 1, 4]) await exchange(encodePacket(probe('task-a', { sessionId, seq }), SECRET));
    const reply = await exchange(encodePacket(probe('task-a', { sessionId, kind: PacketKind.summaryRequest }), SECRET));
    const decoded = reply && decodePacket(reply);
    assert.ok(decoded && decoded.ok && verifyPacket(decoded, SECRET));
    assert.equal(decoded.packet.kind, PacketKind.summaryReply);
    assert.equal(decoded.packet.received, 3);
  });

  it('stops answering a revoked task at once, and an expired one', async () => {
    responder.allow('task-c', SECRET, 60_000);
    assert.ok(await exchange(encodePacket(probe('task-c'), SECRET)));
    responder.revoke('task-c');
    assert.equal(await exchange(encodePacket(probe('task-c'), SECRET)), undefined);
    responder.allow('task-d', SECRET, 50);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await exchange(encodePacket(probe('task-d'), SECRET)), undefined);
  });

  it('sends a TCP sink with a bad secret one JSON error line, then closes', async () => {
    const before = responder.counters().tcpRejected.bad_mac;
    const hello = signSinkHello(Buffer.from(OTHER_SECRET), { task: 'task-a', session: '00000000000000aa', t0: Date.now(), duration_ms: 1000, warmup_ms: 0 });
    const { text, closed } = await tcpExchange(port, JSON.stringify(hello) + '\n' + 'x'.repeat(10_000));
    assert.ok(closed);
    const lines = text.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]!), { type: 'error', code: 'FP_PROBE_AUTH_FAILED', message: 'probe not authorised' });
    assert.equal(responder.counters().tcpRejected.bad_mac, before + 1);
  });

  it('refuses garbage, oversized and silent TCP peers with an error line', async () => {
    const garbage = await tcpExchange(port, 'hello there\n');
    assert.equal(JSON.parse(garbage.text.trim()).code, 'FP_PROBE_BAD_REQUEST');
    const oversized = await tcpExchange(port, Buffer.alloc(5000, 0x7b));
    assert.equal(JSON.parse(oversized.text.trim()).code, 'FP_PROBE_BAD_REQUEST');
    const silent = await tcpExchange(port, '');
    assert.equal(JSON.parse(silent.text.trim()).code, 'FP_PROBE_HELLO_TIMEOUT');
    assert.ok(garbage.closed && oversized.closed && silent.closed);
    const rejected = responder.counters().tcpRejected;
    assert.ok(rejected.malformed >= 1 && rejected.oversized >= 1 && rejected.hello_timeout >= 1);
  });

  it('counts a TCP peer that resets before its first line as malformed, like one that closes', async () => {
    const before = responder.counters().tcpRejected.malformed;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('{"type":"sink_he');
    await new Promise((r) => setTimeout(r, 50));
    socket.resetAndDestroy();
    await eventually(() => responder.counters().tcpRejected.malformed === before + 1, DEADLINE_MS, 'the reset counted');
  });

  it('refuses a replayed sink hello', async () => {
    const hello = JSON.stringify(signSinkHello(Buffer.from(SECRET), { task: 'task-a', session: '00000000000000bb', t0: Date.now(), duration_ms: 100, warmup_ms: 0 })) + '\n';
    const first = await tcpExchange(port, hello);
    assert.match(first.text, /"type":"sink_ready"/);
    const second = await tcpExchange(port, hello);
    assert.equal(JSON.parse(second.text.trim()).code, 'FP_PROBE_AUTH_FAILED');
  });
});
