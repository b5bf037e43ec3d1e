import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricFamily } from '../../protocol/messages.js';
import { gauge } from './family.js';
import { readAttribute } from './sysfs-file.js';
import type { CollectorFactory } from './types.js';

export interface ThermalZone {
  /** "0" of thermal_zone0. */
  zone: string;
  type: string;
  /** Millidegrees Celsius, as the kernel reports it. */
  tempMilli: number;
}

export interface CoolingDevice {
  /** "0" of cooling_device0. */
  name: string;
  type: string;
  /** -1 is valid: intel_powerclamp reports it while idle. */
  curState: number;
  maxState: number;
}

/** node_exporter's thermal_zone families. */
export function thermalFamilies(zones: readonly ThermalZone[], devices: readonly CoolingDevice[]): MetricFamily[] {
  const families: MetricFamily[] = [];
  if (zones.length > 0) {
    families.push(gauge('node_thermal_zone_temp', 'Zone temperature in Celsius', zones.map((z) => ({ labels: { zone: z.zone, type: z.type }, value: z.tempMilli / 1000 }))));
  }
  if (devices.length > 0) {
    const labels = (d: CoolingDevice): Record<string, string> => ({ name: d.name, type: d.type });
    families.push(
      gauge('node_cooling_device_cur_state', 'Current throttle state of the cooling device', devices.map((d) => ({ labels: labels(d), value: d.curState }))),
      gauge('node_cooling_device_max_state', 'Maximum throttle state of the cooling device', devices.map((d) => ({ labels: labels(d), value: d.maxState }))),
    );
  }
  return families;
}

function integer(text: string, path: string): number {
  if (!/^-?\d+$/.test(text)) throw new Error(`${path}: expected an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** The named attributes of one device, or undefined when one has no value now (prometheus/procfs then skips the device). */
async function attributes(dir: string, names: readonly string[], signal: AbortSignal): Promise<string[] | undefined> {
  const out: string[] = [];
  for (const name of names) {
    let text: string | undefined;
    try {
      text = await readAttribute(join(dir, name), signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') return undefined;
      throw err;
    }
    if (text === undefined) return undefined;
    out.push(text);
  }
  return out;
}

/**
 * Zones and cooling devices under <sys>/class/thermal, as prometheus/procfs reads them: a zone
 * needs type, policy and temp, a cooling device type, max_state and cur_state; one whose
 * attribute has no value (a Wi-Fi zone while the interface is down: ENODATA) is skipped.
 */
export async function readThermal(sys: string, signal: AbortSignal): Promise<{ zones: ThermalZone[]; devices: CoolingDevice[] }> {
  const root = join(sys, 'class', 'thermal');
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { zones: [], devices: [] };
    throw err;
  }
  const zones: ThermalZone[] = [];
  const devices: CoolingDevice[] = [];
  for (const entry of entries) {
    const dir = join(root, entry);
    if (/^thermal_zone\d/.test(entry)) {
      const attrs = await attributes(dir, ['type', 'policy', 'temp'], signal);
      if (attrs !== undefined) zones.push({ zone: entry.slice('thermal_zone'.length), type: attrs[0]!, tempMilli: integer(attrs[2]!, `${entry}/temp`) });
    } else if (/^cooling_device\d/.test(entry)) {
      const attrs = await attributes(dir, ['type', 'max_state', 'cur_state'], signal);
      if (attrs === undefined) continue;
      devices.push({ name: entry.slice('cooling_device'.length), type: attrs[0]!, maxState: integer(attrs[1]!, `${entry}/max_state`), curState: integer(attrs[2]!, `${entry}/cur_state`) });
    }
  }
  return { zones, devices };
}

/**
 * node_exporter's thermal_zone collector: ACPI and SoC thermal zones and the fans and throttles
 * cooling them. A host without <sys>/class/thermal reports nothing and succeeds, as node_exporter.
 */
export const createThermalZoneCollector: CollectorFactory = (paths) => ({
  name: 'thermal_zone',
  async collect(signal) {
    const { zones, devices } = await readThermal(paths.sys, signal);
    return thermalFamilies(zones, devices);
  },
});
