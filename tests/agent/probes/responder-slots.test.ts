import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, it } from 'node:test';
import { measureBandwidth } from '../../../src/agent/probes/bandwidth.js';
import { ProbeResponder } from '../../../src/agent/probes/responder.js';
import { signSinkHello } from '../../../src/agent/probes/sink-protocol.js';

// Hostile finding: the probe port's 16 TCP slots could be held by anyone. Now one source gets
// at most 4, silent connections are closed within the hello timeout, and a transfer that goes
// silent ends early; a real peer's bandwidth run still works meanwhile.

const SECRET = 'slots-test-secret-0001';
const responder = new ProbeResponder({ host: '127.0.0.1', port: 0, maxSinkDurationMs: 400, sinkMarginMs: 300 });
let port = 0;
before(async () => {
  port = (await responder.start()).port;
  responder.allow('bw-1', SECRET, 60_000);
});
after(() => responder.stop());

function open(from: string, to = port): Promise<{ socket: Socket; text: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect({ port: to, host: '127.0.0.1', localAddress: from }, () => resolve({ socket, text: () => text, closed }));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.once('error', reject);
  });
}

it('one source holding silent connections gets 4 slots, each closed within the hello timeout; another peer still measures', async () => {
  const hogs = await Promise.all(Array.from({ length: 12 }, () => open('127.0.0.60')));
  await Promise.all(hogs.map((h) => h.closed));
  const refused = hogs.filter((h) => h.text().includes('FP_PROBE_BUSY')).length;
  const timedOut = hogs.filter((h) => h.text().includes('FP_PROBE_HELLO_TIMEOUT')).length;
  assert.equal(refused, 8, 'all but 4 refused at once as busy');
  assert.equal(timedOut, 4, 'the 4 admitted were closed for saying nothing');
  const c = responder.counters();
  assert.equal(c.tcpRejected.source_limit, 8);
  assert.equal(c.tcpRejected.hello_timeout, 4);

  // While a source is at its cap, others are not.
  const more = await Promise.all(Array.from({ length: 4 }, () => open('127.0.0.61')));
  const result = await measureBandwidth({ host: '127.0.0.1', port, taskId: 'bw-1', secret: SECRET, durationMs: 300 });
  assert.ok(result.ok, JSON.stringify(result));
  for (const m of more) m.socket.destroy();
});

it('a transfer that goes silent ends early instead of holding its slot to the deadline', async () => {
  // A 30 s grant: only the idle timeout can end this transfer early.
  const patient = new ProbeResponder({ host: '127.0.0.1', port: 0, maxSinkDurationMs: 30_000, idleTimeoutMs: 300 });
  const patientPort = (await patient.start()).port;
  patient.allow('bw-1', SECRET, 60_000);
  after(() => patient.stop());
  const peer = await open('127.0.0.62', patientPort);
  const hello = signSinkHello(Buffer.from(SECRET), { task: 'bw-1', session: '00000000000005e1', t0: Date.now(), duration_ms: 30_000, warmup_ms: 0 });
  peer.socket.write(JSON.stringify(hello) + '\n');
  peer.socket.write(Buffer.alloc(1024)); // then nothing
  await peer.closed;
  const lines = peer.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines[0]?.type, 'sink_ready');
  assert.equal(lines[1]?.type, 'sink_result');
  assert.equal(lines[1]?.truncated, true);
  assert.equal(lines[1]?.bytes, 1024);
});
