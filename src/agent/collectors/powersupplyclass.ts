import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricFamily, Sample } from '../../protocol/messages.js';
import { gauge } from './family.js';
import { parseIntAttribute, readAttributeSync } from './sysfs-file.js';
import type { CollectorFactory } from './types.js';

/** Metric suffix, sysfs attribute, divisor: node_exporter's three groups (as is, µ-units, tenths of °C). */
const NUMERIC: ReadonlyArray<[string, string, number]> = [
  ...([
    ['authentic', 'authentic'], ['calibrate', 'calibrate'], ['capacity', 'capacity'], ['capacity_alert_max', 'capacity_alert_max'],
    ['capacity_alert_min', 'capacity_alert_min'], ['cyclecount', 'cycle_count'], ['online', 'online'], ['present', 'present'],
    ['time_to_empty_seconds', 'time_to_empty_now'], ['time_to_full_seconds', 'time_to_full_now'],
  ] as const).map(([m, f]): [string, string, number] => [m, f, 1]),
  ...([
    ['current_boot', 'current_boot'], ['current_max', 'current_max'], ['current_ampere', 'current_now'], ['energy_empty', 'energy_empty'],
    ['energy_empty_design', 'energy_empty_design'], ['energy_full', 'energy_full'], ['energy_full_design', 'energy_full_design'],
    ['energy_watthour', 'energy_now'], ['voltage_boot', 'voltage_boot'], ['voltage_max', 'voltage_max'], ['voltage_max_design', 'voltage_max_design'],
    ['voltage_min', 'voltage_min'], ['voltage_min_design', 'voltage_min_design'], ['voltage_volt', 'voltage_now'], ['voltage_ocv', 'voltage_ocv'],
    ['charge_control_limit', 'charge_control_limit'], ['charge_control_limit_max', 'charge_control_limit_max'], ['charge_counter', 'charge_counter'],
    ['charge_empty', 'charge_empty'], ['charge_empty_design', 'charge_empty_design'], ['charge_full', 'charge_full'], ['charge_full_design', 'charge_full_design'],
    ['charge_ampere', 'charge_now'], ['charge_term_current', 'charge_term_current'], ['constant_charge_current', 'constant_charge_current'],
    ['constant_charge_current_max', 'constant_charge_current_max'], ['constant_charge_voltage', 'constant_charge_voltage'],
    ['constant_charge_voltage_max', 'constant_charge_voltage_max'], ['precharge_current', 'precharge_current'],
    ['input_current_limit', 'input_current_limit'], ['power_watt', 'power_now'],
  ] as const).map(([m, f]): [string, string, number] => [m, f, 1e6]),
  ...([
    ['temp_celsius', 'temp'], ['temp_alert_max_celsius', 'temp_alert_max'], ['temp_alert_min_celsius', 'temp_alert_min'],
    ['temp_ambient_celsius', 'temp_ambient'], ['temp_ambient_max_celsius', 'temp_ambient_max'], ['temp_ambient_min_celsius', 'temp_ambient_min'],
    ['temp_max_celsius', 'temp_max'], ['temp_min_celsius', 'temp_min'],
  ] as const).map(([m, f]): [string, string, number] => [m, f, 10]),
];

/** Text attributes that become labels of node_power_supply_info (when not empty). */
const TEXT = ['capacity_level', 'charge_type', 'health', 'manufacturer', 'model_name', 'serial_number', 'status', 'technology', 'type', 'usb_type', 'scope'] as const;

export type PowerSupplyAttributes = Map<string, string>;

/** node_exporter's powersupplyclass families from each supply's attributes. */
export function powerSupplyFamilies(supplies: ReadonlyMap<string, PowerSupplyAttributes>): MetricFamily[] {
  const byMetric = new Map<string, Sample[]>();
  const info: Sample[] = [];
  for (const [name, attrs] of [...supplies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const [metric, file, divisor] of NUMERIC) {
      const raw = attrs.get(file);
      if (raw === undefined || raw === '') continue;
      let samples = byMetric.get(metric);
      if (samples === undefined) byMetric.set(metric, (samples = []));
      samples.push({ labels: { power_supply: name }, value: parseIntAttribute(raw, `${name}/${file}`) / divisor });
    }
    const labels: Record<string, string> = { power_supply: name };
    for (const key of TEXT) {
      const value = attrs.get(key);
      if (value !== undefined && value !== '') labels[key] = value;
    }
    info.push({ labels, value: 1 });
  }
  const families = [...byMetric].map(([metric, samples]) => gauge(`node_power_supply_${metric}`, `${metric} value of /sys/class/power_supply/<power_supply>.`, samples));
  if (info.length > 0) families.push(gauge('node_power_supply_info', 'info of /sys/class/power_supply/<power_supply>.', info));
  return families;
}

const FILES = [...NUMERIC.map(([, f]) => f), ...TEXT];

/**
 * Batteries and mains adapters under <sys>/class/power_supply. A host without the directory (most
 * servers and VMs) reports nothing and succeeds: node_exporter reports "no data" (success 0) there,
 * which would keep our AgentCollectorFailing alert firing on every server.
 */
export const createPowersupplyclassCollector: CollectorFactory = (paths) => ({
  name: 'powersupplyclass',
  async collect(signal) {
    const dir = join(paths.sys, 'class', 'power_supply');
    signal.throwIfAborted();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // Synchronous reads in a plain loop, as netclass: sysfs answers at once.
    const supplies = new Map<string, PowerSupplyAttributes>();
    for (const name of names) {
      signal.throwIfAborted();
      const attrs: PowerSupplyAttributes = new Map();
      for (const file of FILES) {
        const text = readAttributeSync(join(dir, name, file));
        if (text !== undefined) attrs.set(file, text);
      }
      supplies.set(name, attrs);
    }
    return powerSupplyFamilies(supplies);
  },
});
