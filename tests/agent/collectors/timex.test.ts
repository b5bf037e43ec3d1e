import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { collectAll } from '../../../src/agent/collect-all.js';
import { loadAdjtimex, type AdjtimexReading } from '../../../src/agent/collectors/adjtimex.js';
import { createTimexCollectorWith, timexFamilies } from '../../../src/agent/collectors/timex.js';
import { assertGolden, run, valueOf } from './golden.js';

// adjtimex(2) as read on this machine (Debian bookworm VM, Linux 6.18, no NTP daemon) on 2026-11-29;
// node_exporter 1.5.0 reported the same values from it (sync 0, maxerror 16 s, tick 0.01 s, status 64).
const UNSYNCED: AdjtimexReading = {
  state: 5,
  timex: { offset: 0, freq: 0, maxerror: 16_000_000, esterror: 16_000_000, status: 64, constant: 2, tick: 10_000, ppsfreq: 0, jitter: 0, shift: 0, stabil: 0, jitcnt: 0, calcnt: 0, errcnt: 0, stbcnt: 0, tai: 0 },
};
// A chrony-disciplined clock in nanosecond mode (STA_PLL | STA_NANO = 0x2001): offset 12345 ns,
// freq -1.5 ppm, TAI offset 37 s.
const SYNCED: AdjtimexReading = {
  state: 0,
  timex: { ...UNSYNCED.timex, offset: 12_345, freq: -98_304, maxerror: 1_500, esterror: 20, status: 0x2001, constant: 6, tai: 37 },
};

test('timex: units as node_exporter converts them (µs or ns by STA_NANO, scaled ppm, TIME_ERROR = unsynced)', () => {
  const unsynced = timexFamilies(UNSYNCED, 0);
  assert.equal(valueOf(unsynced, 'node_timex_sync_status'), 0);
  assert.equal(valueOf(unsynced, 'node_timex_maxerror_seconds'), 16);
  assert.equal(valueOf(unsynced, 'node_timex_tick_seconds'), 0.01);
  assert.equal(valueOf(unsynced, 'node_timex_frequency_adjustment_ratio'), 1);
  const synced = timexFamilies(SYNCED, 0);
  assert.equal(valueOf(synced, 'node_timex_sync_status'), 1);
  assert.equal(valueOf(synced, 'node_timex_offset_seconds'), 12_345e-9);
  assert.equal(valueOf(synced, 'node_timex_frequency_adjustment_ratio'), 1 - 1.5e-6);
  assert.equal(valueOf(synced, 'node_timex_tai_offset_seconds'), 37);
});

test('timex: an offset beyond 4 s counts as a kernel overflow reading', async () => {
  const overflowing: AdjtimexReading = { state: 0, timex: { ...SYNCED.timex, offset: 4_294_967_295 } };
  const readings = [SYNCED, overflowing, overflowing];
  const collector = createTimexCollectorWith(() => () => readings.shift()!);
  const counts = [];
  for (let i = 0; i < 3; i++) counts.push(valueOf(await run(collector), 'node_timex_offset_overflow_total'));
  assert.deepEqual(counts, [0, 1, 2]);
});

test('timex collector matches the golden file', async () => {
  await assertGolden('timex', timexFamilies(UNSYNCED, 0));
});

test('timex: where adjtimex cannot be called, success is 0 with the reason, and no timex series', async () => {
  const collector = createTimexCollectorWith(() => {
    throw new Error('koffi (the FFI package timex calls adjtimex(2) through) could not be loaded: Cannot find module \'koffi\'');
  });
  const { families, failures } = await collectAll([collector], { timeoutMs: 1000 });
  assert.deepEqual(failures.map((f) => f.collector), ['timex']);
  assert.match(failures[0]!.error, /koffi .* could not be loaded/);
  assert.equal(valueOf(families, 'node_scrape_collector_success', { collector: 'timex' }), 0);
  assert.ok(!families.some((f) => f.name.startsWith('node_timex_')));
});

// The real call, checked against the same system call made from Python's ctypes.
const python = spawnSync('python3', ['-c', 'print(1)']).status === 0;
test('live: adjtimex(2) as the agent binds it (our addon, else koffi) agrees with adjtimex through Python ctypes', { skip: process.platform !== 'linux' ? 'Linux only' : !python && process.env.CI !== 'true' ? 'python3 not installed' : false }, () => {
  const ours = loadAdjtimex()();
  const script = [
    'import ctypes, ctypes.util',
    'L = ctypes.c_long',
    'class T(ctypes.Structure): _fields_ = [("modes", ctypes.c_uint), ("offset", L), ("freq", L), ("maxerror", L), ("esterror", L), ("status", ctypes.c_int), ("constant", L), ("precision", L), ("tolerance", L), ("sec", L), ("usec", L), ("tick", L), ("ppsfreq", L), ("jitter", L), ("shift", ctypes.c_int), ("stabil", L), ("jitcnt", L), ("calcnt", L), ("errcnt", L), ("stbcnt", L), ("tai", ctypes.c_int), ("pad", ctypes.c_int * 11)]',
    't = T()',
    'rc = ctypes.CDLL(ctypes.util.find_library("c")).adjtimex(ctypes.byref(t))',
    'print(rc, t.status, t.tick, t.constant, t.tai)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [state, status, tick, constant, tai] = r.stdout.trim().split(' ').map(Number);
  assert.deepEqual([ours.state, ours.timex.status, ours.timex.tick, ours.timex.constant, ours.timex.tai], [state, status, tick, constant, tai]);
});
