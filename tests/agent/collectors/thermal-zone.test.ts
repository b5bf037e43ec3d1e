import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createThermalZoneCollector, thermalFamilies } from '../../../src/agent/collectors/thermal-zone.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

test('thermal_zone: millidegrees to degrees, cooling states as they are (-1 included)', () => {
  const families = thermalFamilies([{ zone: '3', type: 'acpitz', tempMilli: 27800 }], [{ name: '1', type: 'intel_powerclamp', curState: -1, maxState: 50 }]);
  assert.equal(valueOf(families, 'node_thermal_zone_temp', { zone: '3', type: 'acpitz' }), 27.8);
  assert.equal(valueOf(families, 'node_cooling_device_cur_state', { name: '1', type: 'intel_powerclamp' }), -1);
  assert.deepEqual(thermalFamilies([], []), []);
});

test('thermal_zone collector over node_exporter\'s fixture tree: the values node_exporter reports', async () => {
  const families = await run(createThermalZoneCollector(nodeExporterPaths));
  assert.equal(valueOf(families, 'node_thermal_zone_temp', { zone: '0', type: 'cpu-thermal' }), 12.376);
  assert.equal(valueOf(families, 'node_cooling_device_max_state', { name: '0', type: 'Processor' }), 3);
  await assertGolden('thermal_zone-node-exporter', families);
});

test('thermal_zone collector over a laptop layout: a zone without temperature is skipped, as prometheus/procfs does', async () => {
  const families = await run(createThermalZoneCollector(fixturePaths));
  assert.deepEqual(families.find((f) => f.name === 'node_thermal_zone_temp')!.samples.map((s) => s.labels!.type), ['acpitz', 'x86_pkg_temp']);
  assert.equal(valueOf(families, 'node_cooling_device_cur_state', { name: '10', type: 'Fan' }), 1);
  await assertGolden('thermal_zone', families);
});

test('thermal_zone: a host without thermal zones reports nothing and succeeds', async () => {
  assert.deepEqual(await run(createThermalZoneCollector({ ...fixturePaths, sys: '/nonexistent' })), []);
});
