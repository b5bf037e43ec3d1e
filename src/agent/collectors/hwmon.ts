import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cleanName, explodeSensorFileName, hwmonFamilies, SENSOR_TYPES, type HwmonChip } from './hwmon-metrics.js';
import { readAttributeHead } from './sysfs-file.js';
import type { CollectorFactory } from './types.js';

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** A name file's text, or undefined when there is none (or it cannot be read, as node_exporter treats it). */
function readName(dir: string): string | undefined {
  try {
    return readAttributeHead(join(dir, 'name'));
  } catch {
    return undefined;
  }
}

/**
 * node_exporter's hwmonName: the chip label must stay the same across reboots, and hwmonN
 * numbers follow module load order, so it is built from the device the chip belongs to
 * ("platform_coretemp_0", "nvme_nvme0", "pci0000:00_0000:00:18_3"), else its name file, else hwmonN.
 */
export function chipLabel(dir: string): string {
  try {
    const device = realpathSync(join(dir, 'device'));
    const name = cleanName(basename(device));
    const type = cleanName(basename(dirname(device)));
    if (type !== '' && name !== '') return `${type}_${name}`;
    if (name !== '') return name;
  } catch {
    // no device link: try the name file
  }
  const name = cleanName(readName(dir) ?? '');
  if (name !== '') return name;
  const own = cleanName(basename(realpathSync(dir)));
  if (own === '') throw new Error(`${dir}: cannot derive a chip name from its device, name file or directory`);
  return own;
}

/** Adds the sensor files of one directory (the chip's, or its device's) to `sensors`; unreadable files are skipped. */
function addSensorFiles(dir: string, sensors: Map<string, Map<string, string>>): void {
  for (const file of readdirSync(dir).sort()) {
    const parts = explodeSensorFileName(file);
    if (parts === undefined || !SENSOR_TYPES.has(parts.type)) continue;
    let text: string;
    try {
      text = readAttributeHead(join(dir, file)).replace(/^\n+|\n+$/g, '');
    } catch {
      continue; // write-only, a driver error, a directory such as power/: node_exporter skips it too
    }
    let props = sensors.get(parts.sensor);
    if (props === undefined) sensors.set(parts.sensor, (props = new Map()));
    props.set(parts.property, text);
  }
}

/** One chip directory: its label, human name, and the sensor files of it and of its device. */
export function readChip(dir: string): HwmonChip {
  const chip = chipLabel(dir);
  const sensors = new Map<string, Map<string, string>>();
  addSensorFiles(dir, sensors);
  let device: string | undefined = join(dir, 'device');
  try {
    statSync(device);
  } catch {
    device = undefined;
  }
  if (device !== undefined) addSensorFiles(device, sensors); // older drivers keep their sensors on the device
  const name = readName(dir);
  const chipName = name === undefined ? undefined : cleanName(name);
  return { chip, chipName: chipName === '' ? undefined : chipName, sensors };
}

/** Every chip under <sys>/class/hwmon; none when the directory does not exist. */
export function readHwmon(sys: string, signal: AbortSignal): HwmonChip[] {
  const root = join(sys, 'class', 'hwmon');
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw err;
  }
  const chips: HwmonChip[] = [];
  for (const entry of entries) {
    signal.throwIfAborted();
    const dir = join(root, entry);
    try {
      if (!statSync(dir).isDirectory()) continue;
    } catch {
      continue; // a dangling link: the chip went away
    }
    chips.push(readChip(dir));
  }
  return chips;
}

/**
 * node_exporter's hwmon collector (lm-sensors' data: temperatures, fans, voltages, power). It
 * walks <sys>/class/hwmon every collection as node_exporter does, since chips come and go with
 * their modules; every read is a synchronous sysfs read (see docs/collectors.md for the cost).
 * A host without hwmon (most VMs) reports nothing and succeeds, where node_exporter reports
 * failure: our AgentCollectorFailing alert would otherwise fire on every VM.
 */
export const createHwmonCollector: CollectorFactory = (paths) => ({
  name: 'hwmon',
  async collect(signal) {
    return hwmonFamilies(readHwmon(paths.sys, signal));
  },
});
