import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPressureCollector, parsePressure, pressureFamilies } from '../../../src/agent/collectors/pressure.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

test('parsePressure keeps the microsecond totals of the some and full lines', () => {
  assert.deepEqual(parsePressure('some avg10=0.18 avg60=0.34 avg300=0.10 total=159886802\nfull avg10=0.18 avg60=0.34 avg300=0.10 total=159229614\n', 'io'), {
    some: 159886802,
    full: 159229614,
  });
  assert.deepEqual(parsePressure('full avg10=0.00 avg60=0.00 avg300=0.00 total=8494', 'irq'), { full: 8494 });
  assert.throws(() => parsePressure('half avg10=0 total=1\n', 'io'), /pressure\/io: expected "some\|full/);
  assert.throws(() => parsePressure('some avg10=0.00\n', 'io'), /pressure\/io: expected/);
  assert.throws(() => parsePressure('some avg10=0 total=-\n', 'cpu'), /pressure\/cpu some total: expected a number/);
});

test('each resource gives node_exporter\'s families, and a missing required line fails', () => {
  assert.deepEqual(pressureFamilies('cpu', { some: 2_500_000, full: 7 }).map((f) => [f.name, f.samples[0]?.value]), [['node_pressure_cpu_waiting_seconds_total', 2.5]]);
  assert.deepEqual(pressureFamilies('irq', { full: 8494 }).map((f) => [f.name, f.samples[0]?.value]), [['node_pressure_irq_stalled_seconds_total', 0.008494]]);
  assert.throws(() => pressureFamilies('memory', { some: 1 }), /pressure\/memory: no "full" line/);
  assert.throws(() => pressureFamilies('io', { full: 1 }), /pressure\/io: no "some" line/);
});

test('pressure collector on this machine (Linux 6.18, no irq file) matches the golden file', async () => {
  const families = await run(createPressureCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_pressure_cpu_waiting_seconds_total'), 139.180576);
  assert.equal(valueOf(families, 'node_pressure_irq_stalled_seconds_total'), undefined);
  assert.ok(families.every((f) => f.type === 'counter'));
  await assertGolden('pressure', families);
});

test('pressure collector on node_exporter\'s fixture (irq present, memory missing)', async () => {
  const families = await run(createPressureCollector(nodeExporterPaths));
  assert.deepEqual(families.map((f) => [f.name, f.samples[0]?.value]), [
    ['node_pressure_cpu_waiting_seconds_total', 14.036781],
    ['node_pressure_io_waiting_seconds_total', 159.886802],
    ['node_pressure_io_stalled_seconds_total', 159.229614],
    ['node_pressure_irq_stalled_seconds_total', 0.008494],
  ]);
});

test('without /proc/pressure the collector fails and says which kernel it needs', async () => {
  await assert.rejects(run(createPressureCollector({ ...fixturePaths, proc: '/nonexistent' })), /no pressure information in \/nonexistent\/pressure: it needs Linux ≥ 4.20 with CONFIG_PSI/);
});
