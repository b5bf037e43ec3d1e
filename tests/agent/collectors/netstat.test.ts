import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNetstatCollector, DEFAULT_NETSTAT_FIELDS, parseNetStats, parseSnmp6 } from '../../../src/agent/collectors/netstat.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

const ALL = /.*/;

test('the default field filter keeps what node_exporter keeps', () => {
  for (const kept of ['Tcp_InErrs', 'Udp6_InErrors', 'IcmpMsg_InErrors', 'Ip_Forwarding', 'IpExt_InOctets', 'Ip6_OutOctets', 'TcpExt_ListenDrops', 'TcpExt_SyncookiesSent', 'TcpExt_TCPTimeouts', 'Tcp_CurrEstab', 'Udp_RcvbufErrors']) {
    assert.ok(DEFAULT_NETSTAT_FIELDS.test(kept), kept);
  }
  for (const dropped of ['Tcp_MaxConn', 'Ip_InReceives', 'TcpExt_TW', 'Udp_InCsumErrors', 'IpExt_InMcastOctets', 'MPTcpExt_MPCapableSYNRX', 'xTcp_InSegs']) {
    assert.ok(!DEFAULT_NETSTAT_FIELDS.test(dropped), dropped);
  }
});

test('parseNetStats pairs header and value lines, and converts only kept fields', () => {
  const text = 'Tcp: RtoAlgorithm MaxConn InErrs\nTcp: 1 -1 7\nUdp: InDatagrams\nUdp: 9\n';
  assert.deepEqual(parseNetStats(text, 'snmp', ALL), [
    { protocol: 'Tcp', field: 'RtoAlgorithm', value: 1 },
    { protocol: 'Tcp', field: 'MaxConn', value: -1 },
    { protocol: 'Tcp', field: 'InErrs', value: 7 },
    { protocol: 'Udp', field: 'InDatagrams', value: 9 },
  ]);
  // A value outside the filter is never parsed, so a kernel oddity there cannot fail the collector.
  assert.deepEqual(parseNetStats('Tcp: MaxConn InErrs\nTcp: ?? 7\n', 'snmp', DEFAULT_NETSTAT_FIELDS), [{ protocol: 'Tcp', field: 'InErrs', value: 7 }]);
});

test('parseNetStats rejects a missing value line, a count mismatch, another protocol or a bad kept value', () => {
  assert.throws(() => parseNetStats('Tcp: InErrs\n', 'snmp', ALL), /snmp: odd number of lines/);
  assert.throws(() => parseNetStats('Tcp: InErrs OutRsts\nTcp: 1\n', 'snmp', ALL), /snmp: line 1\/2/);
  assert.throws(() => parseNetStats('Tcp: InErrs\nUdp: 1\n', 'snmp', ALL), /line 1\/2/);
  assert.throws(() => parseNetStats('Tcp: InErrs\nTcp: x\n', 'snmp', ALL), /snmp: Tcp InErrs: expected a number, got "x"/);
});

test('parseSnmp6 splits the protocol at the first "6"', () => {
  assert.deepEqual(parseSnmp6('Ip6InOctets                     \t460\nUdpLite6InErrors \t3\nnosix 1\n\n', ALL), [
    { protocol: 'Ip6', field: 'InOctets', value: 460 },
    { protocol: 'UdpLite6', field: 'InErrors', value: 3 },
  ]);
  assert.throws(() => parseSnmp6('Ip6InOctets abc\n', ALL), /snmp6: Ip6InOctets: expected a number/);
});

test('netstat collector on this machine (Linux 6.18) matches the golden file', async () => {
  const families = await run(createNetstatCollector(fixturePaths));
  assert.ok(families.every((f) => f.type === 'untyped' && f.help === `Statistic ${f.name.slice('node_netstat_'.length).replace('_', '')}.`));
  assert.equal(valueOf(families, 'node_netstat_IpExt_InOctets'), 2100513475);
  assert.equal(valueOf(families, 'node_netstat_Icmp6_OutMsgs'), 20);
  assert.equal(families.find((f) => f.name.startsWith('node_netstat_MPTcpExt')), undefined);
  await assertGolden('netstat', families);
});

test('netstat collector on node_exporter\'s older-kernel fixture gives the values node_exporter\'s test expects', async () => {
  const families = await run(createNetstatCollector(nodeExporterPaths));
  // As in node_exporter's collector/netstat_linux_test.go over the same files.
  assert.equal(valueOf(families, 'node_netstat_Tcp_InErrs'), 5);
  assert.equal(valueOf(families, 'node_netstat_TcpExt_TCPOFOQueue'), 42);
  assert.equal(valueOf(families, 'node_netstat_Udp6_RcvbufErrors'), 9);
  assert.equal(valueOf(families, 'node_netstat_IpExt_InOctets'), 6286396970);
  assert.equal(valueOf(families, 'node_netstat_Tcp_MaxConn'), undefined);
  await assertGolden('netstat-node-exporter', families);
});

test('a custom field list replaces the default selection', async () => {
  const families = await run(createNetstatCollector(nodeExporterPaths, { netstatFields: /^Tcp_MaxConn$/ }));
  assert.deepEqual(families.map((f) => [f.name, f.samples[0]?.value]), [['node_netstat_Tcp_MaxConn', -1]]);
});
