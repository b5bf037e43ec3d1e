import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHwmonCollector } from '../../../src/agent/collectors/hwmon.js';
import { cleanName, explodeSensorFileName, hwmonFamilies } from '../../../src/agent/collectors/hwmon-metrics.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

test('hwmon: sensor file names split into type, sensor and property as node_exporter splits them', () => {
  assert.deepEqual(explodeSensorFileName('temp1_crit_alarm'), { type: 'temp', sensor: 'temp1', property: 'crit_alarm' });
  assert.deepEqual(explodeSensorFileName('pwm1_auto_point2_temp'), { type: 'pwm', sensor: 'pwm1', property: 'auto_point2_temp' });
  assert.deepEqual(explodeSensorFileName('temp01_max'), { type: 'temp', sensor: 'temp1', property: 'max' });
  assert.deepEqual(explodeSensorFileName('beep_enable'), { type: 'beep_enable', sensor: 'beep_enable0', property: '' });
  assert.deepEqual(explodeSensorFileName('vrm'), { type: 'vrm', sensor: 'vrm0', property: '' });
  assert.equal(explodeSensorFileName('1abc'), undefined);
  assert.equal(cleanName('Platform-ASUS EC.0\n'), 'platform_asus_ec_0');
  assert.equal(cleanName('0000:00:18.3'), '0000:00:18_3');
});

test('hwmon: units, unitless alarms, labels kept as written, refused duplicates', () => {
  const sensors = new Map([
    ['temp1', new Map([['input', '45125'], ['crit_alarm', '0'], ['alarm', '1'], ['label', ' Core 0 '], ['max', 'n/a']])],
    ['in0', new Map([['input', '731'], ['', '12']])],
    ['freq1', new Map([['input', '500000000']])], // no label: node_exporter sends no clock
    ['energy1', new Map([['input', '2500000']])],
  ]);
  const families = hwmonFamilies([{ chip: 'c', chipName: 'k10temp', sensors }, { chip: 'c', sensors }]);
  const labels = { chip: 'c', sensor: 'temp1' };
  assert.equal(valueOf(families, 'node_hwmon_temp_celsius', labels), 45.125);
  assert.equal(valueOf(families, 'node_hwmon_temp_crit_alarm_celsius', labels), 0); // node_exporter's name: only "alarm" itself is unitless
  assert.equal(valueOf(families, 'node_hwmon_temp_alarm', labels), 1);
  assert.equal(valueOf(families, 'node_hwmon_temp_max_celsius', labels), undefined);
  assert.equal(valueOf(families, 'node_hwmon_sensor_label', { ...labels, label: ' Core 0 ' }), 1);
  assert.equal(valueOf(families, 'node_hwmon_in_input_volts', { chip: 'c', sensor: 'in0' }), 0.731); // a bare "in0" file is the value then
  assert.equal(valueOf(families, 'node_hwmon_in_volts', { chip: 'c', sensor: 'in0' }), 0.012);
  assert.equal(families.find((f) => f.name === 'node_hwmon_freq_freq_mhz'), undefined);
  const energy = families.find((f) => f.name === 'node_hwmon_energy_joule_total')!;
  assert.equal(energy.type, 'counter');
  assert.equal(energy.samples.length, 1, 'the second chip with the same label is dropped, not sent twice');
});

test('hwmon collector over node_exporter\'s fixture tree matches the golden file', async () => {
  const families = await run(createHwmonCollector(nodeExporterPaths));
  // Values Debian's node_exporter reports for the same tree (checked sample by sample in node-exporter-metadata.test.ts).
  assert.equal(valueOf(families, 'node_hwmon_temp_celsius', { chip: 'platform_coretemp_0', sensor: 'temp1' }), 55);
  assert.equal(valueOf(families, 'node_hwmon_chip_names', { chip: 'platform_coretemp_1', chip_name: 'coretemp' }), 1);
  assert.equal(valueOf(families, 'node_hwmon_fan_rpm', { chip: 'platform_applesmc_768', sensor: 'fan2' }), 1998); // sensors on the device
  assert.equal(valueOf(families, 'node_hwmon_in_max_volts', { chip: 'nct6779', sensor: 'in0' }), 1.744); // no device link: the name
  assert.equal(valueOf(families, 'node_hwmon_temp_crit_celsius', { chip: 'hwmon4', sensor: 'temp2' }), 100); // neither: hwmonN
  assert.equal(valueOf(families, 'node_hwmon_freq_freq_mhz', { chip: 'hwmon4', sensor: 'mclk' }), 300);
  assert.equal(valueOf(families, 'node_hwmon_fan_output', { chip: 'platform_applesmc_768', sensor: 'fan1' }), 2160);
  assert.equal(families.find((f) => f.name === 'node_hwmon_fan_safe'), undefined, 'fan1_safe is empty: no sample');
  await assertGolden('hwmon-node-exporter', families);
});

test('hwmon collector over a desktop layout (NVMe, k10temp, amdgpu, EC, Super-I/O) matches the golden file', async () => {
  const families = await run(createHwmonCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_hwmon_temp_celsius', { chip: 'nvme_nvme1', sensor: 'temp3' }), 41.85);
  assert.equal(valueOf(families, 'node_hwmon_temp_celsius', { chip: 'pci0000:00_0000:00:18_3', sensor: 'temp1' }), 45.125);
  assert.equal(valueOf(families, 'node_hwmon_power_average_watt', { chip: '0000:0a:00_0_0000:0b:00_0', sensor: 'power1' }), 9);
  assert.equal(valueOf(families, 'node_hwmon_freq_freq_mhz', { chip: '0000:0a:00_0_0000:0b:00_0', sensor: 'sclk' }), 500);
  assert.equal(valueOf(families, 'node_hwmon_update_interval_seconds', { chip: 'platform_it87_2624', sensor: 'update_interval0' }), 2);
  assert.equal(valueOf(families, 'node_hwmon_sensor_label', { chip: 'platform_it87_2624', sensor: 'in2', label: '+3.3V' }), 1);
  await assertGolden('hwmon', families);
});

test('hwmon: a host without hwmon reports nothing and succeeds; a chip that appears is read on the next collection, a FIFO in it skipped', async () => {
  const sys = mkdtempSync(join(tmpdir(), 'fp-hwmon-'));
  try {
    const collector = createHwmonCollector({ ...fixturePaths, sys });
    assert.deepEqual(await run(collector), []);
    const dir = join(sys, 'devices', 'platform', 'coretemp.0', 'hwmon', 'hwmon7');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'name'), 'coretemp\n');
    writeFileSync(join(dir, 'temp1_input'), '61000\n');
    mkdirSync(join(sys, 'class', 'hwmon'), { recursive: true });
    symlinkSync('../../devices/platform/coretemp.0/hwmon/hwmon7', join(sys, 'class', 'hwmon', 'hwmon7'));
    symlinkSync('../../devices/platform/gone.0/hwmon/hwmon8', join(sys, 'class', 'hwmon', 'hwmon8')); // dangling: skipped
    // A FIFO where a sensor file should be: with a blocking open the synchronous read would hang the agent.
    assert.equal(spawnSync('mkfifo', [join(dir, 'temp2_input')]).status, 0);
    const families = await run(collector);
    assert.equal(valueOf(families, 'node_hwmon_temp_celsius', { chip: 'coretemp', sensor: 'temp1' }), 61);
    assert.equal(valueOf(families, 'node_hwmon_temp_celsius', { chip: 'coretemp', sensor: 'temp2' }), undefined);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});
