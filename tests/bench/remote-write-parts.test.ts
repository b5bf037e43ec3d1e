import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { renderText } from '../../bench/fleet/render-text.js';
import { ProtocolAgent, RetryLater } from '../../bench/fleet/protocol-agent.js';
import { parseOptions } from '../../bench/options.js';
import { parseCounter } from '../../bench/systems/victoria-metrics.js';
import { encodeMessage } from '../../src/protocol/encode.js';
import { LineDecoder } from '../../src/protocol/line-decoder.js';
import type { MetricFamily } from '../../src/protocol/messages.js';

// The pieces of `npm run bench -- --phase remote-write` that need no receiver: options, the
// text the vmagent agents send, the receiver's counters, and the protocol agent with several
// batches in flight against a real socket.

const families: MetricFamily[] = [
  { name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: 0.5 }] },
  { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds.', samples: [{ labels: { mode: 'idle', cpu: '0' }, value: 12.5 }] },
];

describe('bench remote-write options', () => {
  it('defaults to 1000 agents, both relays, 3 runs, a 15-minute backlog, and names its files apart', () => {
    const o = parseOptions(['--phase', 'remote-write'], '2026-11-29');
    assert.deepEqual(o.agents, [1000]);
    assert.deepEqual(o.remoteWrite.relays, ['fleetpulse', 'vmagent']);
    assert.equal(o.remoteWrite.runs, 3);
    assert.equal(o.remoteWrite.backlogMinutes, 15);
    assert.equal(o.name, '2026-11-29-remote-write');
  });

  it('takes one fleet size, known relays, and --no-replay', () => {
    const o = parseOptions(['--phase', 'remote-write', '--agents', '200', '--relays', 'vmagent', '--no-replay', '--runs', '5'], '2026-11-29');
    assert.deepEqual(o.agents, [200]);
    assert.deepEqual(o.remoteWrite.relays, ['vmagent']);
    assert.equal(o.remoteWrite.backlogMinutes, undefined);
    assert.equal(o.remoteWrite.runs, 5);
    assert.throws(() => parseOptions(['--phase', 'remote-write', '--agents', '10,20'], 'd'), /one fleet size/);
    assert.throws(() => parseOptions(['--relays', 'prometheus'], 'd'), /not one of fleetpulse, vmagent/);
    assert.throws(() => parseOptions(['--phase', 'fast'], 'd'), /not one of scale, remote-write/);
  });

  it('leaves the default run as it was', () => {
    const o = parseOptions([], '2026-11-29');
    assert.equal(o.phase, 'scale');
    assert.deepEqual(o.agents, [100, 1000, 5000]);
    assert.equal(o.name, '2026-11-29');
  });
});

describe('bench text for vmagent', () => {
  it('puts the collection time on every sample line when given one, labels sorted', () => {
    assert.equal(
      renderText(families, 1_795_990_000_123),
      '# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.5 1795990000123\n' +
        '# HELP node_cpu_seconds_total Seconds.\n# TYPE node_cpu_seconds_total counter\nnode_cpu_seconds_total{cpu="0",mode="idle"} 12.5 1795990000123\n',
    );
    assert.doesNotMatch(renderText(families), / \d{13}\n/, 'no timestamp unless asked');
  });
});

describe('bench receiver counters', () => {
  it('sums a counter by one label from exposition text', () => {
    const text = [
      '# HELP vm_rows_inserted_total x',
      'vm_rows_inserted_total{type="promremotewrite"} 2000',
      'vm_rows_inserted_total{type="influx"} 0',
      'vm_rows_inserted_total_other{type="influx"} 7',
      'vm_rows_inserted_total{path="/a", type="promremotewrite"} 5',
      'vm_rows_added_to_storage_total 2005',
    ].join('\n');
    assert.deepEqual(parseCounter(text, 'vm_rows_inserted_total', 'type'), { promremotewrite: 2005, influx: 0 });
    assert.deepEqual(parseCounter(text, 'vm_rows_added_to_storage_total', 'type'), { '': 2005 });
  });
});

describe('bench protocol agent', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  /** A bridge stand-in: welcome, then answers each batch as `answer` decides. */
  async function bridge(answer: (socket: Socket, seq: number, timestampMs: number) => void): Promise<number> {
    const server = createServer((socket) => {
      const decoder = new LineDecoder(1024 * 1024);
      socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) {
          if (frame.kind !== 'line') continue;
          const message = JSON.parse(frame.text) as { type: string; seq: number; timestamp_ms: number };
          if (message.type === 'hello') socket.write(encodeMessage({ type: 'welcome', protocol: 1, server_version: 't', heartbeat_ms: 60_000, max_line_bytes: 1 << 20, max_series: 10_000 }));
          if (message.type === 'metrics') answer(socket, message.seq, message.timestamp_ms);
        }
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  it('keeps several batches in flight, settles acks in any order, and keeps an old batch\'s seq and time', async () => {
    const seen: [number, number][] = [];
    const held: number[] = [];
    const port = await bridge((socket, seq, ts) => {
      seen.push([seq, ts]);
      held.push(seq);
      if (held.length === 3) for (const s of held.reverse()) socket.write(encodeMessage({ type: 'ack', seq: s, samples: s * 10 }));
    });
    const agent = new ProtocolAgent('a', '127.0.0.1', port);
    await agent.connect();
    const first = agent.reserveSeqs(2);
    assert.equal(first, 1);
    const pushes = [agent.push(families, { seq: 1, timestampMs: 1000 }), agent.push(families, { seq: 2, timestampMs: 2000 }), agent.push(families)];
    assert.deepEqual(await Promise.all(pushes), [10, 20, 30]);
    assert.deepEqual(seen.map(([s]) => s), [1, 2, 3], 'the fresh batch gets the seq after the backlog');
    assert.deepEqual(seen.slice(0, 2).map(([, t]) => t), [1000, 2000]);
    agent.close();
  });

  it('rejects with RetryLater on FP_RETRY_LATER, with an error on a whole-batch refusal, and waits for the ack after a partial one', async () => {
    const port = await bridge((socket, seq) => {
      if (seq === 1) socket.write(encodeMessage({ type: 'error', code: 'FP_RETRY_LATER', message: 'queue full', fatal: false, seq }));
      if (seq === 2) socket.write(encodeMessage({ type: 'error', code: 'FP_SERIES_LIMIT', message: 'too many', fatal: false, seq }));
      if (seq === 3) {
        socket.write(encodeMessage({ type: 'error', code: 'FP_BAD_FAMILY', message: 'one family', fatal: false, seq }));
        socket.write(encodeMessage({ type: 'ack', seq, samples: 1 }));
      }
    });
    const agent = new ProtocolAgent('b', '127.0.0.1', port);
    await agent.connect();
    await assert.rejects(agent.push(families), RetryLater);
    await assert.rejects(agent.push(families), (err: Error) => !(err instanceof RetryLater) && /FP_SERIES_LIMIT/.test(err.message));
    assert.equal(await agent.push(families), 1);
    agent.close();
  });
});
