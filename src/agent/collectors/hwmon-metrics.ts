import type { MetricFamily, MetricType, Sample } from '../../protocol/messages.js';
import { family } from './family.js';

/** One hwmon chip as read from sysfs: its label value, its human name, and sensor -> property -> raw text. */
export interface HwmonChip {
  /** The `chip` label: derived from the device path, else the name file, else hwmonN. */
  chip: string;
  /** The cleaned `name` file, for node_hwmon_chip_names; undefined without one. */
  chipName?: string | undefined;
  /** "temp1" -> { "input": "45000", "label": "Core 0", ... }; "" is the property of a bare file such as "vrm". */
  sensors: Map<string, Map<string, string>>;
}

/** The sensor types node_exporter reads; any other file is ignored. */
export const SENSOR_TYPES: ReadonlySet<string> = new Set([
  'vrm', 'beep_enable', 'update_interval', 'in', 'cpu', 'fan', 'pwm', 'temp', 'curr', 'power', 'energy', 'humidity', 'intrusion', 'freq',
]);

/** <type><number>_<property>, e.g. "temp1_crit_alarm", "vrm", "pwm1_auto_point2_temp" (node_exporter's hwmonFilenameFormat). */
const FILE_NAME = /^([^0-9]+)([0-9]*)(?:_(.+))?$/;

/** Splits a sensor file name; undefined where node_exporter would not match it. */
export function explodeSensorFileName(name: string): { type: string; sensor: string; property: string } | undefined {
  const m = FILE_NAME.exec(name);
  if (m === null || m[2]!.length > 15) return undefined; // Go's Atoi fails on what does not fit an int
  return { type: m[1]!, sensor: `${m[1]}${m[2] === '' ? 0 : Number(m[2])}`, property: m[3] ?? '' };
}

/** node_exporter's cleanMetricName: lower case, [^a-z0-9:_] to "_", no leading or trailing "_". */
export function cleanName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9:_]/g, '_').replace(/^_+|_+$/g, '');
}

/** Go's strconv.ParseFloat for the decimal numbers sysfs writes; undefined for what it would refuse. */
function parseValue(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

interface Metric {
  name: string;
  help: string;
  type?: MetricType;
  value: number;
  labels?: Record<string, string>;
}

/** The metric node_exporter makes of one property of one sensor (updateHwmon's chain of cases). */
function propertyMetric(type: string, element: string, value: number, hasBare: boolean, label: string | undefined): Metric | undefined {
  let name = `node_hwmon_${type}`;
  if (element === 'input') {
    if (hasBare) name += '_input'; // "input" is the value, unless a bare file already is
  } else if (element !== '') {
    name += `_${cleanName(element)}`;
  }
  // fault, alarm and beep have no unit
  if (element === 'fault' || element === 'alarm') return { name, help: `Hardware sensor ${element} status (${type})`, value };
  if (element === 'beep') return { name: `${name}_enabled`, help: 'Hardware monitor sensor has beeping enabled', value };
  if (type === 'in' || type === 'cpu') return { name: `${name}_volts`, help: `Hardware monitor for voltage (${element})`, value: value * 0.001 };
  if (type === 'temp' && element !== 'type') {
    return { name: `${name}_celsius`, help: `Hardware monitor for temperature (${element === '' ? 'input' : element})`, value: value * 0.001 };
  }
  if (type === 'curr') return { name: `${name}_amps`, help: `Hardware monitor for current (${element})`, value: value * 0.001 };
  if (type === 'energy') return { name: `${name}_joule_total`, help: `Hardware monitor for joules used so far (${element})`, type: 'counter', value: value / 1e6 };
  if (type === 'power' && element === 'accuracy') return { name, help: 'Hardware monitor power meter accuracy, as a ratio', value: value / 1e6 };
  if (type === 'power' && (element === 'average_interval' || element === 'average_interval_min' || element === 'average_interval_max')) {
    return { name: `${name}_seconds`, help: `Hardware monitor power usage update interval (${element})`, value: value * 0.001 };
  }
  if (type === 'power') return { name: `${name}_watt`, help: `Hardware monitor for power usage in watts (${element})`, value: value / 1e6 };
  if (type === 'humidity') {
    return { name, help: `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`, value: value / 1e6 };
  }
  if (type === 'fan' && (element === 'input' || element === 'min' || element === 'max' || element === 'target')) {
    return { name: `${name}_rpm`, help: `Hardware monitor for fan revolutions per minute (${element})`, value };
  }
  if (type === 'freq' && element === 'input') {
    // GPU clocks: the sensor label takes the cleaned label's place, and without a label there is no series.
    if (label === undefined) return undefined;
    return { name: `${name}_freq_mhz`, help: 'Hardware monitor for GPU frequency in MHz', value: value / 1e6, labels: { sensor: cleanName(label) } };
  }
  return { name, help: `Hardware monitor ${type} element ${element}`, value };
}

/** Every metric of one sensor, as node_exporter's updateHwmon emits them. */
function sensorMetrics(sensor: string, props: ReadonlyMap<string, string>): Metric[] {
  const type = explodeSensorFileName(sensor)!.type;
  const label = props.get('label');
  const out: Metric[] = [];
  if (label !== undefined) out.push({ name: 'node_hwmon_sensor_label', help: 'Label for given chip and sensor', value: 1, labels: { label } });
  if (type === 'beep_enable') return [...out, { name: 'node_hwmon_beep_enabled', help: 'Hardware beep enabled', value: props.get('') === '1' ? 1 : 0 }];
  if (type === 'vrm' || type === 'update_interval') {
    const value = parseValue(props.get(''));
    if (value === undefined) return out;
    return [...out, type === 'vrm'
      ? { name: 'node_hwmon_voltage_regulator_version', help: 'Hardware voltage regulator', value }
      : { name: 'node_hwmon_update_interval_seconds', help: 'Hardware monitor update interval', value: value * 0.001 }];
  }
  for (const [element, text] of props) {
    if (element === 'label') continue;
    const value = parseValue(text);
    if (value === undefined) continue; // empty or not a number: skipped, as node_exporter does
    const metric = propertyMetric(type, element, value, props.has(''), label);
    if (metric !== undefined) out.push(metric);
  }
  return out;
}

/**
 * node_exporter's hwmon families for the given chips. A name node_exporter's registry would
 * refuse twice (the same labels again, or the same name with another help text) keeps its first
 * sample, as its gatherer keeps the first and drops the rest.
 */
export function hwmonFamilies(chips: readonly HwmonChip[]): MetricFamily[] {
  const families = new Map<string, { help: string; type: MetricType; samples: Sample[]; seen: Set<string> }>();
  const add = (metric: Metric, labels: Record<string, string>): void => {
    let fam = families.get(metric.name);
    if (fam === undefined) families.set(metric.name, (fam = { help: metric.help, type: metric.type ?? 'gauge', samples: [], seen: new Set() }));
    const key = JSON.stringify(labels);
    if (fam.help !== metric.help || fam.seen.has(key)) return;
    fam.seen.add(key);
    fam.samples.push({ labels, value: metric.value });
  };
  for (const { chip, chipName, sensors } of chips) {
    if (chipName !== undefined) add({ name: 'node_hwmon_chip_names', help: 'Annotation metric for human-readable chip names', value: 1 }, { chip, chip_name: chipName });
    for (const [sensor, props] of sensors) {
      for (const metric of sensorMetrics(sensor, props)) add(metric, { chip, sensor, ...metric.labels });
    }
  }
  return [...families].map(([name, { help, type, samples }]) => family(type, name, help, samples));
}
