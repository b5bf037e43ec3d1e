import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { measureBandwidth, type BandwidthResult } from '../../../src/agent/probes/bandwidth.js';
import { ProbeResponder } from '../../../src/agent/probes/responder.js';
import type { ProbeFailure } from '../../../src/agent/probes/result.js';
import { signSinkHello } from '../../../src/agent/probes/sink-protocol.js';
import { eventually } from '../../helpers/http.js';
import { closedTcpPort } from '../../helpers/ports.js';

const SECRET = 'bandwidth-test-secret-01';

const reason = (result: BandwidthResult | ProbeFailure): string => (result.ok ? 'ok' : result.reason);

// No timings asserted: what a transfer took is the sink's measurement, and on a busy machine
// timers run late. The sink's window cannot exceed the duration it granted (it counts only up
// to it), and whether the sender or the sink ended a transfer shows in `truncated`.

describe('measureBandwidth on loopback', () => {
  const responder = new ProbeResponder({ host: '127.0.0.1', port: 0, maxSinkDurationMs: 400, sinkMarginMs: 300 });
  // A sink that grants 400 ms but waits ten seconds more before cutting a sender off: one that
  // honours the grant ends long before, one that ignores it (sending 20 s) is cut and truncated.
  const patient = new ProbeResponder({ host: '127.0.0.1', port: 0, maxSinkDurationMs: 400, sinkMarginMs: 10_000 });
  // Grants five seconds: room to revoke a transfer surely still running.
  const long = new ProbeResponder({ host: '127.0.0.1', port: 0, maxSinkDurationMs: 5000, sinkMarginMs: 10_000 });
  let port = 0;
  let patientPort = 0;
  let longPort = 0;
  before(async () => {
    port = (await responder.start()).port;
    patientPort = (await patient.start()).port;
    longPort = (await long.start()).port;
    responder.allow('bw-1', SECRET, 60_000);
    patient.allow('bw-1', SECRET, 60_000);
  });
  after(() => Promise.all([responder.stop(), patient.stop(), long.stop()]));

  it('computes the rate from what the sink reports', async () => {
    // The patient sink: with the 300 ms margin a sender whose timer fires late on a loaded
    // machine was cut and truncated (seen under load 30), which is not what this test is about.
    const before = patient.counters();
    const result = await measureBandwidth({ host: '127.0.0.1', port: patientPort, taskId: 'bw-1', secret: SECRET, durationMs: 300 });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.source, 'receiver');
    assert.equal(result.truncated, false);
    assert.ok(result.bitsPerSecond > 1e6, `${result.bitsPerSecond} bit/s on loopback`);
    assert.ok(result.durationSeconds > 0 && result.durationSeconds <= 0.3, `the window (${result.durationSeconds} s) lies within the 300 ms asked for`);
    assert.equal(result.bitsPerSecond, (result.bytes * 8) / result.durationSeconds);
    assert.ok(result.bytes <= result.senderBytes);
    const after = patient.counters();
    assert.equal(after.tcpAccepted, before.tcpAccepted + 1);
    assert.ok(after.tcpBytesReceived - before.tcpBytesReceived >= result.bytes);
  });

  it('lets the sink shorten a transfer longer than it grants', async () => {
    const result = await measureBandwidth({ host: '127.0.0.1', port: patientPort, taskId: 'bw-1', secret: SECRET, durationMs: 20_000 });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.truncated, false, 'the sender stopped by itself at the granted 400 ms, not cut off by the sink 10 s later');
    assert.ok(result.durationSeconds <= 0.4, `window ${result.durationSeconds} s within the grant`);
  });

  it('stops reading at the granted duration plus margin even if the sender goes on', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    const hello = signSinkHello(Buffer.from(SECRET), { task: 'bw-1', session: '0000000000000c01', t0: Date.now(), duration_ms: 100, warmup_ms: 0 });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('error', () => {});
    socket.write(JSON.stringify(hello) + '\n');
    const started = Date.now();
    const flood = setInterval(() => socket.writable && socket.write(Buffer.alloc(16 * 1024)), 5);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    clearInterval(flood);
    const elapsedMs = Date.now() - started;
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { type: 'sink_ready', duration_ms: 100, warmup_ms: 0 });
    assert.equal(lines[1]?.type, 'sink_result');
    // The flood never stops by itself: the sink cut it off at its deadline and said so.
    assert.equal(lines[1]?.truncated, true);
    assert.ok((lines[1]?.duration_ms as number) <= elapsedMs, `sink counted ${String(lines[1]?.duration_ms)} ms of the ${elapsedMs} ms we flooded`);
  });

  it('reports auth_failed for a wrong secret or an unknown task', async () => {
    assert.equal(reason(await measureBandwidth({ host: '127.0.0.1', port, taskId: 'bw-1', secret: 'wrong-secret-but-long', durationMs: 200 })), 'auth_failed');
    assert.equal(reason(await measureBandwidth({ host: '127.0.0.1', port, taskId: 'bw-unknown', secret: SECRET, durationMs: 200 })), 'auth_failed');
  });

  it('reports refused for a closed port and error for bad options', async () => {
    assert.equal(reason(await measureBandwidth({ host: '127.0.0.1', port: await closedTcpPort(), taskId: 'bw-1', secret: SECRET })), 'refused');
    assert.equal(reason(await measureBandwidth({ host: '127.0.0.1', port, taskId: 'bw-1', secret: SECRET, durationMs: 10 })), 'error');
  });

  it('fails with error, not a bogus rate, when the grant is revoked mid-transfer', async () => {
    long.allow('bw-2', SECRET, 60_000);
    const accepted = long.counters().tcpAccepted;
    const pending = measureBandwidth({ host: '127.0.0.1', port: longPort, taskId: 'bw-2', secret: SECRET, durationMs: 5000 });
    // Revoked once the sink has accepted the transfer, which then has five seconds to run.
    await eventually(() => long.counters().tcpAccepted === accepted + 1, 20_000, 'the sink accepted the transfer');
    long.revoke('bw-2');
    const result = await pending;
    assert.equal(reason(result), 'error', JSON.stringify(result));
  });
});
