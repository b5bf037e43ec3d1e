import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createResponderCollector } from '../../../src/agent/probes/responder-metrics.js';
import { ProbeResponder } from '../../../src/agent/probes/responder.js';
import { TCP_REJECT_REASONS } from '../../../src/agent/probes/sink-session.js';
import { UDP_DROP_REASONS } from '../../../src/agent/probes/udp-echo.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { renderFamily } from '../../../src/server/ingest/render-family.js';
import { run } from '../collectors/golden.js';
import { defaultIngestLimits } from '../../helpers/bridge.js';

const UDP = 'fleetpulse_responder_udp_packets_total';
const TCP = 'fleetpulse_responder_tcp_connections_total';
const BYTES = 'fleetpulse_responder_received_bytes_total';

/** result label -> value of one family. */
function byResult(families: MetricFamily[], name: string): Record<string, number> {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `${name} missing`);
  return Object.fromEntries(family.samples.map((s) => [s.labels?.result ?? '', s.value as number]));
}

function sendDatagram(port: number, datagram: Buffer): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => socket.send(datagram, port, '127.0.0.1', (err) => (socket.close(), err ? reject(err) : resolve())));
}

/** Writes one line to the TCP sink and resolves with its answer once it closes the connection. */
function sendLine(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.end(line);
  });
}

/** Collects until `check` passes; UDP drops are counted whenever the datagram arrives. */
async function collectUntil(collect: () => Promise<MetricFamily[]>, check: (f: MetricFamily[]) => boolean): Promise<MetricFamily[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const families = await collect();
    if (check(families) || Date.now() > deadline) return families;
    await sleep(10);
  }
}

describe('responder collector', () => {
  const responder = new ProbeResponder({ host: '127.0.0.1', port: 0 });
  const collector = createResponderCollector(() => responder.counters());
  let port = 0;
  before(async () => {
    port = (await responder.start()).port;
  });
  after(() => responder.stop());

  it('sends every result value from the start, at 0', async () => {
    const families = await run(collector);
    assert.deepEqual(families.map((f) => [f.name, f.type]), [[UDP, 'counter'], [TCP, 'counter'], [BYTES, 'counter']]);
    assert.deepEqual(byResult(families, UDP), Object.fromEntries(['answered', ...UDP_DROP_REASONS].map((r) => [r, 0])));
    assert.deepEqual(byResult(families, TCP), Object.fromEntries(['accepted', ...TCP_REJECT_REASONS].map((r) => [r, 0])));
    assert.deepEqual(families.find((f) => f.name === BYTES)?.samples, [{ value: 0 }]);
  });

  it('counts a garbage datagram and a garbage TCP line as malformed, everything else staying 0', async () => {
    await sendDatagram(port, Buffer.from('not a probe'));
    // The refusal names no reason to a stranger; the counter does.
    assert.match(await sendLine(port, 'GET / HTTP/1.0\n'), /"code":"FP_PROBE_BAD_REQUEST"/);
    const families = await collectUntil(() => run(collector), (f) => byResult(f, UDP).malformed === 1);
    const udp = byResult(families, UDP);
    const tcp = byResult(families, TCP);
    assert.deepEqual(udp, { ...Object.fromEntries(['answered', ...UDP_DROP_REASONS].map((r) => [r, 0])), malformed: 1 });
    assert.deepEqual(tcp, { ...Object.fromEntries(['accepted', ...TCP_REJECT_REASONS].map((r) => [r, 0])), malformed: 1 });
    assert.deepEqual(families.find((f) => f.name === BYTES)?.samples, [{ value: 0 }]);
  });

  it('never goes back: a later collection counts on from the earlier one', async () => {
    const earlier = await run(collector);
    await sendLine(port, '{"type":"sink_hello"}\n');
    const later = await run(collector);
    for (const name of [UDP, TCP, BYTES]) {
      const [a, b] = [byResult(earlier, name), byResult(later, name)];
      for (const [result, value] of Object.entries(a)) assert.ok(b[result]! >= value, `${name}{result="${result}"} went from ${value} to ${b[result]}`);
    }
    assert.equal(byResult(later, TCP).malformed, byResult(earlier, TCP).malformed! + 1);
  });

  it('sends families the bridge accepts: no reserved prefix, no duplicate series', async () => {
    for (const family of await run(collector)) {
      assert.doesNotThrow(() => renderFamily(family, 'instance="a"', new Set(['instance', 'job']), defaultIngestLimits()), family.name);
    }
  });
});

it('responder collector sends no families while no responder is bound', async () => {
  const collector = createResponderCollector(() => undefined);
  assert.equal(collector.name, 'responder');
  assert.deepEqual(await run(collector), []);
});

it('docs/tasks.md and docs/collectors.md list every responder family and result value', async () => {
  const families = await run(createResponderCollector(() => new ProbeResponder().counters()));
  for (const file of ['tasks.md', 'collectors.md']) {
    const doc = readFileSync(new URL(`../../../docs/${file}`, import.meta.url), 'utf8');
    for (const f of families) assert.match(doc, new RegExp(`^\\| \`${f.name}\` \\|`, 'm'), `${f.name} missing from docs/${file}`);
  }
  const doc = readFileSync(new URL('../../../docs/tasks.md', import.meta.url), 'utf8');
  for (const result of [...Object.keys(byResult(families, UDP)), ...Object.keys(byResult(families, TCP))]) {
    assert.ok(doc.includes(`\`${result}\``), `result "${result}" not explained in docs/tasks.md`);
  }
});
