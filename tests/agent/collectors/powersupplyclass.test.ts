import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPowersupplyclassCollector, powerSupplyFamilies } from '../../../src/agent/collectors/powersupplyclass.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

test('powersupplyclass: µ-units to base units, tenths of a degree to °C, empty text left out of info', () => {
  const families = powerSupplyFamilies(new Map([['BAT1', new Map([['current_now', '1500000'], ['temp', '312'], ['status', ''], ['type', 'Battery']])]]));
  assert.equal(valueOf(families, 'node_power_supply_current_ampere', { power_supply: 'BAT1' }), 1.5);
  assert.equal(valueOf(families, 'node_power_supply_temp_celsius', { power_supply: 'BAT1' }), 31.2);
  assert.deepEqual(families.find((f) => f.name === 'node_power_supply_info')!.samples[0]!.labels, { power_supply: 'BAT1', type: 'Battery' });
  assert.throws(() => powerSupplyFamilies(new Map([['BAT1', new Map([['capacity', 'full']])]])), /BAT1\/capacity: expected an integer/);
});

test('powersupplyclass collector matches the golden file (node_exporter\'s fixture: a ThinkPad battery and its AC adapter)', async () => {
  const families = await run(createPowersupplyclassCollector(fixturePaths));
  // The values node_exporter's own end-to-end output has for the same fixture.
  assert.equal(valueOf(families, 'node_power_supply_online', { power_supply: 'AC' }), 0);
  assert.equal(valueOf(families, 'node_power_supply_capacity', { power_supply: 'BAT0' }), 81);
  assert.equal(valueOf(families, 'node_power_supply_energy_watthour', { power_supply: 'BAT0' }), 36.58);
  assert.equal(valueOf(families, 'node_power_supply_power_watt', { power_supply: 'BAT0' }), 5.002);
  assert.equal(valueOf(families, 'node_power_supply_voltage_volt', { power_supply: 'BAT0' }), 11.66);
  assert.equal(valueOf(families, 'node_power_supply_info', { power_supply: 'BAT0', status: 'Discharging', technology: 'Li-ion', capacity_level: 'Normal' }), 1);
  await assertGolden('powersupplyclass', families);
});

test('powersupplyclass: a host without power supplies reports nothing and succeeds', async () => {
  assert.deepEqual(await run(createPowersupplyclassCollector({ ...fixturePaths, sys: '/nonexistent' })), []);
});
