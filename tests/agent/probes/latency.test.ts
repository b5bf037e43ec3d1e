import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { epochMs } from '../../../src/agent/probes/clock.js';
import { measureLatency, type LatencyOptions, type LatencyResult } from '../../../src/agent/probes/latency.js';
import { ProbeResponder } from '../../../src/agent/probes/responder.js';
import type { ProbeFailure } from '../../../src/agent/probes/result.js';
import { freePort } from '../../helpers/processes.js';
import { startUdpRelay, type UdpRelay } from './udp-relay.js';

const SECRET = 'latency-test-secret-0001';
const ONE_WAY_MS = 20;
/**
 * Correctness bounds, not performance timings: timers add 0-few ms per hop and the machine
 * is shared, so allow 10 ms either way on a 40 ms round trip (and 10 ms on 20 ms one-way).
 */
const TOLERANCE_MS = 10;
/** The peer's clock runs this far ahead of ours in the offset test. */
const PEER_AHEAD_MS = 5_000;

function ok(result: LatencyResult | ProbeFailure): LatencyResult {
  if (!result.ok) assert.fail(`probe failed: ${result.reason} ${result.message}`);
  return result;
}

const within = (actualSeconds: number | null | undefined, expectedMs: number, what: string): void => {
  assert.ok(actualSeconds !== null && actualSeconds !== undefined, `${what} missing`);
  const ms = actualSeconds * 1000;
  assert.ok(Math.abs(ms - expectedMs) <= TOLERANCE_MS, `${what}: ${ms.toFixed(2)} ms, expected ${expectedMs} ± ${TOLERANCE_MS} ms`);
};

describe('measureLatency through a relay with known delay and loss', () => {
  const responder = new ProbeResponder({ host: '127.0.0.1', port: 0 });
  const skewed = new ProbeResponder({ host: '127.0.0.1', port: 0, clock: () => epochMs() + PEER_AHEAD_MS });
  const relays: UdpRelay[] = [];
  let port = 0;
  let skewedPort = 0;
  before(async () => {
    port = (await responder.start()).port;
    skewedPort = (await skewed.start()).port;
    responder.allow('lat-1', SECRET, 60_000);
    skewed.allow('lat-1', SECRET, 60_000);
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.close()));
    await Promise.all([responder.stop(), skewed.stop()]);
  });

  const relayTo = async (targetPort: number, dropForward?: (n: number) => boolean): Promise<UdpRelay> => {
    const relay = await startUdpRelay({ target: { host: '127.0.0.1', port: targetPort }, delayMs: ONE_WAY_MS, ...(dropForward ? { dropForward } : {}) });
    relays.push(relay);
    return relay;
  };
  const base = (relayPort: number): LatencyOptions => ({ host: '127.0.0.1', port: relayPort, taskId: 'lat-1', secret: SECRET, count: 20, intervalMs: 10, timeoutMs: 500 });

  it('measures 40 ms RTT, exactly 0.2 forward loss (every 5th probe dropped) and no reverse loss', async () => {
    const relay = await relayTo(port, (n) => n % 5 === 0);
    const result = ok(await measureLatency({ ...base(relay.port), clockOffsetMs: { self: 0, peer: 0 } }));
    console.log('relay 20 ms each way, every 5th forward dropped:', JSON.stringify(result));
    assert.equal(relay.dropped, 4);
    assert.deepEqual([result.sent, result.delivered, result.replies, result.deliveredExact], [20, 16, 16, true]);
    assert.equal(result.forward.lossRatio, 0.2);
    assert.equal(result.reverse.lossRatio, 0);
    assert.equal(result.lossRatio, 0.2);
    within(result.rtt?.avgSeconds, 2 * ONE_WAY_MS, 'rtt avg');
    within(result.rtt?.minSeconds, 2 * ONE_WAY_MS, 'rtt min');
    within(result.forward.delaySeconds, ONE_WAY_MS, 'forward delay');
    within(result.reverse.delaySeconds, ONE_WAY_MS, 'reverse delay');
    assert.ok(result.jitterSeconds !== null && result.jitterSeconds * 1000 <= TOLERANCE_MS, `jitter ${result.jitterSeconds}`);
  });

  it('corrects one-way delays for a peer clock that runs ahead', async () => {
    const relay = await relayTo(skewedPort);
    const corrected = ok(await measureLatency({ ...base(relay.port), clockOffsetMs: { self: 0, peer: PEER_AHEAD_MS } }));
    console.log('peer clock +5 s, corrected:', JSON.stringify({ rtt: corrected.rtt, forward: corrected.forward, reverse: corrected.reverse }));
    within(corrected.forward.delaySeconds, ONE_WAY_MS, 'corrected forward');
    within(corrected.reverse.delaySeconds, ONE_WAY_MS, 'corrected reverse');
    within(corrected.rtt?.avgSeconds, 2 * ONE_WAY_MS, 'rtt (needs no correction)');
    assert.deepEqual([corrected.forward.lossRatio, corrected.reverse.lossRatio], [0, 0]);

    // Told nothing about the offset, the one-way figures carry it: proof the correction did the work.
    const naive = ok(await measureLatency({ ...base(relay.port), clockOffsetMs: { self: 0, peer: 0 } }));
    within(naive.forward.delaySeconds, ONE_WAY_MS + PEER_AHEAD_MS, 'uncorrected forward');
    within(naive.reverse.delaySeconds, ONE_WAY_MS - PEER_AHEAD_MS, 'uncorrected reverse');

    // Without offsets at all there are no one-way delays, but loss per direction still works.
    const unknown = ok(await measureLatency(base(relay.port)));
    assert.equal(unknown.forward.delaySeconds, null);
    assert.equal(unknown.clockCorrected, false);
    assert.equal(unknown.forward.lossRatio, 0);
  });

  it('tells reverse loss from forward loss when replies are lost', async () => {
    const { createSocket } = await import('node:dgram');
    // A relay that drops every 4th reply: forward loss 0, reverse loss 0.25.
    const front = createSocket('udp4');
    const back = createSocket('udp4');
    let client: { port: number; address: string } | undefined;
    let replies = 0;
    front.on('message', (d, from) => {
      client = from;
      back.send(d, port, '127.0.0.1');
    });
    back.on('message', (d) => {
      // The 21st datagram back is the summary reply: always let it through.
      if (++replies % 4 === 0 && replies <= 20) return;
      if (client) front.send(d, client.port, client.address);
    });
    await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
    try {
      const result = ok(await measureLatency({ ...base(front.address().port), timeoutMs: 200 }));
      assert.deepEqual([result.sent, result.delivered, result.replies], [20, 20, 15]);
      assert.equal(result.forward.lossRatio, 0);
      assert.equal(result.reverse.lossRatio, 0.25);
      assert.equal(result.lossRatio, 0.25);
    } finally {
      front.close();
      back.close();
    }
  });
});

describe('measureLatency failures', () => {
  const responder = new ProbeResponder({ host: '127.0.0.1', port: 0 });
  let port = 0;
  before(async () => {
    port = (await responder.start()).port;
    responder.allow('lat-2', SECRET, 60_000);
  });
  after(() => responder.stop());

  it('reports refused for a closed port, quickly', async () => {
    const closed = await freePort();
    const started = Date.now();
    const result = await measureLatency({ host: '127.0.0.1', port: closed, taskId: 'lat-2', secret: SECRET, timeoutMs: 2000 });
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'refused');
    assert.ok(Date.now() - started < 1500, 'gave up on the first ICMP error');
  });

  it('reports timeout for a wrong secret or an unknown task: the responder stays silent', async () => {
    const wrong = await measureLatency({ host: '127.0.0.1', port, taskId: 'lat-2', secret: 'not-the-right-secret-x', count: 3, timeoutMs: 100 });
    assert.deepEqual(wrong.ok ? 'ok' : wrong.reason, 'timeout');
    const unknown = await measureLatency({ host: '127.0.0.1', port, taskId: 'nope', secret: SECRET, count: 3, timeoutMs: 100 });
    assert.deepEqual(unknown.ok ? 'ok' : unknown.reason, 'timeout');
  });

  it('rejects bad options with reason error instead of throwing', async () => {
    for (const bad of [{ count: 0 }, { count: 5000 }, { intervalMs: -1 }, { timeoutMs: 0 }, { port: 70000 }, { taskId: 'a b' }]) {
      const result = await measureLatency({ host: '127.0.0.1', port, taskId: 'lat-2', secret: SECRET, ...bad });
      assert.deepEqual(result.ok ? 'ok' : result.reason, 'error', JSON.stringify(bad));
    }
  });
});
