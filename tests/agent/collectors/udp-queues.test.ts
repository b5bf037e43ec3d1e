import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { createUdpQueuesCollector, UdpQueueSummer } from '../../../src/agent/collectors/udp-queues.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

const FILE =
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
  ' 7617: 0100007F:8A4A 00000000:0000 07 00000010:000009C0 00:00000000 00000000     0        0 55346 2 00000000ee0d1a8c 0\n' +
  '11598: 0100007F:99D7 00000000:0000 07 00000000:00000a00 00:00000000 00000000     0        0 55083 2 000000000c93b044 0\n';

function sum(text: string, cuts: number[] = []): ReturnType<UdpQueueSummer['end']> {
  const summer = new UdpQueueSummer('udp');
  const bytes = Buffer.from(text);
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    summer.feed(bytes.subarray(from, at));
    from = at;
  }
  return summer.end();
}

test('UdpQueueSummer sums tx and rx queues over all sockets', () => {
  assert.deepEqual(sum(FILE), { tx: 16, rx: 0x9c0 + 0xa00, sockets: 2 });
  assert.deepEqual(sum(FILE.split('\n')[0]!), { tx: 0, rx: 0, sockets: 0 });
  assert.deepEqual(sum(FILE.replace(/\n$/, '')), { tx: 16, rx: 0x9c0 + 0xa00, sockets: 2 }); // no final newline
});

test('UdpQueueSummer gives the same totals however the input is split', () => {
  const whole = sum(FILE);
  for (let at = 0; at <= FILE.length; at++) assert.deepEqual(sum(FILE, [at]), whole, `cut at ${at}`);
  assert.deepEqual(sum(FILE, Array.from({ length: FILE.length }, (_, i) => i)), whole); // byte by byte
});

test('UdpQueueSummer rejects short lines and bad queue columns, naming the line', () => {
  const header = FILE.split('\n')[0]!;
  assert.throws(() => sum(`${header}\n 0: 0100007F:8A4A 00000000:0000 07 00000010:000009C0\n`), /udp: line 2: expected at least 8 columns/);
  assert.throws(() => sum(`${header}\n 0: a b 07 0000001000000 00:0 0 0 0\n`), /line 2/);
  assert.throws(() => sum(`${header}\n 0: a b 07 10:zz 00:0 0 0 0\n`), /line 2/);
  assert.throws(() => sum(`${header}\n 0: a b 07 10:20:30 00:0 0 0 0\n`), /line 2/);
  assert.throws(() => sum(`${header}\n 0: a b 07 123456789:0 00:0 0 0 0\n`), /line 2/);
  assert.throws(() => sum(`${header}\n${FILE.split('\n')[1]}\n 1: a b 07 :1 00:0 0 0 0\n`), /line 3/);
});

test('udp_queues collector on this machine (queued datagrams on loopback) matches the golden file', async () => {
  const families = await run(createUdpQueuesCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_udp_queues', { queue: 'rx', ip: 'v4' }), 0x9c0);
  assert.equal(valueOf(families, 'node_udp_queues', { queue: 'rx', ip: 'v6' }), 0xf00);
  await assertGolden('udp_queues', families);
});

test('udp_queues collector with IPv6 disabled (node_exporter\'s fixture has no udp6) reports v4 only', async () => {
  const families = await run(createUdpQueuesCollector(nodeExporterPaths));
  assert.deepEqual(families[0]?.samples, [
    { labels: { queue: 'tx', ip: 'v4' }, value: 0x15 },
    { labels: { queue: 'rx', ip: 'v4' }, value: 0 },
  ]);
  await assert.rejects(run(createUdpQueuesCollector({ ...fixturePaths, proc: '/nonexistent' })), /neither/);
});

test('live: udp_queues counts datagrams waiting unread in a loopback socket\'s receive queue', async (t) => {
  // A child binds a UDP socket, prints its port, then blocks its event loop: nothing reads the
  // socket, so whatever is sent to it stays in the kernel's receive queue.
  const child = spawn(process.execPath, ['-e', `
    const s = require('node:dgram').createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      console.log(s.address().port);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
    });`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sender = createSocket('udp4');
  t.after(() => {
    child.kill('SIGKILL');
    sender.close();
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  for (let i = 0; i < 4; i++) {
    await new Promise<void>((resolve, reject) => sender.send(Buffer.alloc(500), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }
  const rx = valueOf(await run(createUdpQueuesCollector({ proc: '/proc', sys: '/sys', root: '/' })), 'node_udp_queues', { queue: 'rx', ip: 'v4' });
  // The kernel accounts each datagram's buffer (truesize), more than its 500 payload bytes.
  assert.ok(typeof rx === 'number' && rx >= 4 * 500, `rx queue ${rx}`);
});
