import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { epochMs } from '../../../src/agent/probes/clock.js';
import { measureLatency, type LatencyOptions, type LatencyResult } from '../../../src/agent/probes/latency.js';
import { ProbeResponder } from '../../../src/agent/probes/responder.js';
import type { ProbeFailure } from '../../../src/agent/probes/result.js';
import { closedUdpPort } from '../../helpers/ports.js';
import { relayTruth, startUdpRelay, type UdpRelay } from './udp-relay.js';

const SECRET = 'latency-test-secret-0001';
const ONE_WAY_MS = 20;
/**
 * The relay's timers fire late on a busy machine, so its nominal 20 ms says little about the
 * path: it records what it saw and did with each probe (relayTruth), and the probe's figures
 * are checked against that. The forward delay must match exactly; the round trip and reverse
 * delay may exceed the relay's floor only by the time this process took to hand a reply from
 * the relay's socket to the probe's. RECEIVE_MS only catches gross errors (an interval or a
 * timeout counted into the RTT): it is not a speed target, and a loaded machine (load 30) was
 * seen to stall this process 61 ms. The exact relations are the forward and reverse checks.
 */
const RECEIVE_MS = 250;
/** epochMs re-anchors to the wall clock by up to 1 ms; two timestamps may disagree by that. */
const CLOCK_SLACK_MS = 2;
const EXACT_MS = 1e-6;
/** Long enough that no reply on a busy machine counts as lost: losses here are the relay's. */
const TIMEOUT_MS = 2000;
/** The peer's clock runs this far ahead of ours in the offset test. */
const PEER_AHEAD_MS = 5_000;

function ok(result: LatencyResult | ProbeFailure): LatencyResult {
  if (!result.ok) assert.fail(`probe failed: ${result.reason} ${result.message}`);
  return result;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const meanAbsDiff = (values: number[]) => mean(values.slice(1).map((v, i) => Math.abs(v - values[i]!)));
const ms = (seconds: number | null | undefined, what: string): number => {
  assert.ok(seconds !== null && seconds !== undefined, `${what} missing`);
  return seconds * 1000;
};

/**
 * The probe's figures against what the relay saw of the same session.
 * @param toldPeerAheadMs the peer clock offset the probe was told (and applied)
 */
function checkAgainstRelay(result: LatencyResult, relay: UdpRelay, session: string, toldPeerAheadMs = 0): void {
  const truth = relayTruth(relay.relayed(session), toldPeerAheadMs);
  assert.equal(result.replies, truth.count, 'the probe counted the replies the relay carried back');
  const rttAvg = ms(result.rtt?.avgSeconds, 'rtt avg');
  // What the probe saw beyond the relay's floor: only its own receive path, on every figure alike.
  const receiveMs = rttAvg - mean(truth.rttFloorMs);
  console.log(`# rtt avg ${rttAvg.toFixed(2)} ms: relay floor ${mean(truth.rttFloorMs).toFixed(2)} ms (held ${mean(truth.forwardHeldMs).toFixed(2)} + ${mean(truth.reverseHeldMs).toFixed(2)} ms, nominal ${2 * ONE_WAY_MS}) + receive ${receiveMs.toFixed(2)} ms`);
  assert.ok(receiveMs >= -CLOCK_SLACK_MS && receiveMs <= RECEIVE_MS, `rtt avg ${rttAvg.toFixed(2)} ms exceeds the relay's floor ${mean(truth.rttFloorMs).toFixed(2)} ms by ${receiveMs.toFixed(2)} ms (0..${RECEIVE_MS})`);
  assert.ok(ms(result.rtt?.minSeconds, 'rtt min') >= Math.min(...truth.rttFloorMs) - CLOCK_SLACK_MS, 'rtt min not below the floor');
  assert.ok(ms(result.rtt?.maxSeconds, 'rtt max') >= Math.max(...truth.rttFloorMs) - CLOCK_SLACK_MS, 'rtt max not below the floor');
  assert.ok(result.rtt!.minSeconds <= result.rtt!.avgSeconds && result.rtt!.avgSeconds <= result.rtt!.maxSeconds);
  // Consecutive differences move by at most the receive times of the two probes involved.
  const jitterBound = (2 * truth.count) / (truth.count - 1) * (receiveMs + CLOCK_SLACK_MS);
  const jitter = ms(result.jitterSeconds, 'jitter');
  assert.ok(Math.abs(jitter - meanAbsDiff(truth.rttFloorMs)) <= jitterBound, `jitter ${jitter.toFixed(2)} ms, relay floor ${meanAbsDiff(truth.rttFloorMs).toFixed(2)} ms ± ${jitterBound.toFixed(2)}`);
  if (!result.clockCorrected) return;
  const forward = ms(result.forward.delaySeconds, 'forward delay');
  assert.ok(Math.abs(forward - mean(truth.forwardMs)) <= EXACT_MS, `forward delay ${forward} ms, from the packets the relay carried ${mean(truth.forwardMs)} ms`);
  const reverse = ms(result.reverse.delaySeconds, 'reverse delay');
  assert.ok(Math.abs(reverse - mean(truth.reverseFloorMs) - receiveMs) <= EXACT_MS, `reverse delay ${reverse.toFixed(3)} ms = relay floor ${mean(truth.reverseFloorMs).toFixed(3)} ms + the same receive time ${receiveMs.toFixed(3)} ms`);
}

/** With the true offsets applied, each one-way delay contains what the relay held that way. */
function checkHolds(result: LatencyResult, relay: UdpRelay, session: string): void {
  const truth = relayTruth(relay.relayed(session));
  assert.ok(ms(result.forward.delaySeconds, 'forward') >= mean(truth.forwardHeldMs) - CLOCK_SLACK_MS, 'forward delay includes the relay\'s forward hold');
  assert.ok(ms(result.reverse.delaySeconds, 'reverse') >= mean(truth.reverseHeldMs) - CLOCK_SLACK_MS, 'reverse delay includes the relay\'s reverse hold');
  assert.ok(Math.min(...truth.forwardHeldMs, ...truth.reverseHeldMs) >= ONE_WAY_MS - CLOCK_SLACK_MS, 'the relay held every packet at least its nominal delay');
}

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
  const base = (relayPort: number): LatencyOptions => ({ host: '127.0.0.1', port: relayPort, taskId: 'lat-1', secret: SECRET, count: 20, intervalMs: 10, timeoutMs: TIMEOUT_MS });

  it('measures the RTT and one-way delays the relay imposed, exactly 0.2 forward loss (every 5th probe dropped) and no reverse loss', async () => {
    const relay = await relayTo(port, (n) => n % 5 === 0);
    const result = ok(await measureLatency({ ...base(relay.port), clockOffsetMs: { self: 0, peer: 0 } }));
    console.log('relay 20 ms each way, every 5th forward dropped:', JSON.stringify(result));
    assert.equal(relay.dropped, 4);
    assert.deepEqual([result.sent, result.delivered, result.replies, result.deliveredExact], [20, 16, 16, true]);
    assert.equal(result.forward.lossRatio, 0.2);
    assert.equal(result.reverse.lossRatio, 0);
    assert.equal(result.lossRatio, 0.2);
    assert.equal(relay.sessions().length, 1);
    assert.ok(result.clockCorrected);
    checkAgainstRelay(result, relay, relay.sessions()[0]!);
    checkHolds(result, relay, relay.sessions()[0]!);
  });

  it('corrects one-way delays for a peer clock that runs ahead', async () => {
    const relay = await relayTo(skewedPort);
    const corrected = ok(await measureLatency({ ...base(relay.port), clockOffsetMs: { self: 0, peer: PEER_AHEAD_MS } }));
    console.log('peer clock +5 s, corrected:', JSON.stringify({ rtt: corrected.rtt, forward: corrected.forward, reverse: corrected.reverse }));
    // The rtt needs no correction; the one-way delays are what the relay held each way.
    checkAgainstRelay(corrected, relay, relay.sessions()[0]!, PEER_AHEAD_MS);
    checkHolds(corrected, relay, relay.sessions()[0]!);
    assert.deepEqual([corrected.forward.lossRatio, corrected.reverse.lossRatio], [0, 0]);

    // Told nothing about the offset, the one-way figures carry it: proof the correction did the work.
    const naive = ok(await measureLatency({ ...base(relay.port), clockOffsetMs: { self: 0, peer: 0 } }));
    checkAgainstRelay(naive, relay, relay.sessions()[1]!);
    const held = relayTruth(relay.relayed(relay.sessions()[1]!));
    assert.ok(ms(naive.forward.delaySeconds, 'naive forward') >= PEER_AHEAD_MS + mean(held.forwardHeldMs) - CLOCK_SLACK_MS, 'the uncorrected forward delay carries the peer\'s 5 s');

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
      const result = ok(await measureLatency(base(front.address().port)));
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

  // 1000 probes 60 ms apart take a minute: only giving up on the first ICMP error ends the run before the test's timeout.
  it('reports refused for a closed port, on the first ICMP error rather than after all probes', { timeout: 30_000 }, async () => {
    const result = await measureLatency({ host: '127.0.0.1', port: await closedUdpPort(), taskId: 'lat-2', secret: SECRET, count: 1000, intervalMs: 60, timeoutMs: 60_000 });
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'refused');
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
