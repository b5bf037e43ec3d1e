import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuxvPageSize, pageSize } from '../../../src/agent/collectors/page-size.js';
import { createSockstatCollector, parseSockstat, sockstatFamilies } from '../../../src/agent/collectors/sockstat.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

test('parseSockstat reads "sockets: used" and per-protocol key/value pairs', () => {
  assert.deepEqual(parseSockstat('sockets: used 99\nTCP: inuse 18 orphan 0 tw 56 alloc 18 mem 3\nFRAG: inuse 0 memory 0\n', 'sockstat'), {
    used: 99,
    protocols: [
      { protocol: 'TCP', values: { inuse: 18, orphan: 0, tw: 56, alloc: 18, mem: 3 } },
      { protocol: 'FRAG', values: { inuse: 0, memory: 0 } },
    ],
  });
  // Keys procfs does not know are ignored, as node_exporter does.
  assert.deepEqual(parseSockstat('UDP: inuse 1 newkey 5\n', 's').protocols, [{ protocol: 'UDP', values: { inuse: 1 } }]);
});

test('parseSockstat rejects odd pairs, a missing colon and non-numbers', () => {
  assert.throws(() => parseSockstat('TCP: inuse\n', 'sockstat'), /sockstat: line 1: expected "PROTO: key value/);
  assert.throws(() => parseSockstat('TCP inuse 1\n', 'sockstat'), /line 1/);
  assert.throws(() => parseSockstat('x\nTCP: inuse 1 tw y\n', 'sockstat6'), /sockstat6: line 1/);
  assert.throws(() => parseSockstat('TCP: inuse 1 tw y\n', 'sockstat6'), /sockstat6: line 1 \(TCP tw\): expected a number, got "y"/);
});

test('mem is in pages: mem_bytes multiplies by the page size, and is left out when it is unknown', () => {
  const stat = parseSockstat('TCP: inuse 1 mem 3\n', 'sockstat');
  assert.equal(valueOf(sockstatFamilies(stat, 16384), 'node_sockstat_TCP_mem_bytes'), 49152);
  assert.deepEqual(sockstatFamilies(stat, undefined).map((f) => f.name), ['node_sockstat_TCP_inuse', 'node_sockstat_TCP_mem']);
});

test('the page size comes from the aux vector, in either word size and byte order', async () => {
  const le8 = Buffer.alloc(48);
  le8.writeBigUInt64LE(33n, 0);
  le8.writeBigUInt64LE(1n, 8);
  le8.writeBigUInt64LE(6n, 16);
  le8.writeBigUInt64LE(65536n, 24);
  assert.equal(parseAuxvPageSize(le8, 8, true), 65536);
  const be4 = Buffer.from([0, 0, 0, 6, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(parseAuxvPageSize(be4, 4, false), 4096);
  assert.equal(parseAuxvPageSize(Buffer.alloc(32), 8, true), undefined); // AT_NULL first
  const page = await pageSize();
  assert.ok(page !== undefined && page >= 4096 && (page & (page - 1)) === 0, `page size ${page}`);
});

test('sockstat collector on this machine (Linux 6.18) matches the golden file', async () => {
  const families = await run(createSockstatCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_sockstat_sockets_used'), 106);
  assert.equal(valueOf(families, 'node_sockstat_TCP_tw'), 562);
  assert.equal(families.find((f) => f.name === 'node_sockstat_TCP_inuse')?.help, 'Number of TCP sockets in state inuse.');
  await assertGolden('sockstat', families);
});

test('sockstat collector on node_exporter\'s RHEL 4 layout (no UDP mem, no UDPLITE) and sockstat6', async () => {
  const families = await run(createSockstatCollector(nodeExporterPaths));
  assert.equal(valueOf(families, 'node_sockstat_sockets_used'), 229);
  assert.equal(valueOf(families, 'node_sockstat_TCP_mem'), 1);
  assert.equal(valueOf(families, 'node_sockstat_UDP_mem'), undefined);
  assert.equal(valueOf(families, 'node_sockstat_TCP6_inuse'), 17);
  assert.equal(valueOf(families, 'node_sockstat_RAW6_inuse'), 1);
});

test('sockstat collector fails only when both files are missing', async () => {
  await assert.rejects(run(createSockstatCollector({ ...fixturePaths, proc: '/nonexistent' })), /neither \/nonexistent\/net\/sockstat nor/);
});
