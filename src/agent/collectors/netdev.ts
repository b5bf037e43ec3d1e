import { join } from 'node:path';
import type { MetricFamily, Sample } from '../../protocol/messages.js';
import { counter } from './family.js';
import { numberField } from './parse-field.js';
import { parseIntAttribute, readAttributeSync } from './sysfs-file.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

export interface NetDevStats {
  device: string;
  /** "receive_bytes", "transmit_colls", ... (node_exporter's keys) -> value. */
  stats: Map<string, number>;
}

/**
 * /proc/net/dev. Column names come from the two header lines, as node_exporter's parser
 * did. The name ends at the last ':' because names may contain ':' ("ibr10:30") and old
 * kernels print no space after it once the byte count is wide ("eth0:68210035552").
 */
export function parseNetDev(text: string): NetDevStats[] {
  const all = text.split('\n');
  const groups = (all[1] ?? '').split('|');
  if (groups.length !== 3) throw new Error(`net/dev: unexpected header ${JSON.stringify(all[1] ?? '')}`);
  const rx = groups[1]!.trim().split(/\s+/).map((k) => `receive_${k}`);
  const tx = groups[2]!.trim().split(/\s+/).map((k) => `transmit_${k}`);
  const keys = [...rx, ...tx];
  const odd = keys.find((k) => !/^[a-z_]+$/.test(k));
  if (odd !== undefined) throw new Error(`net/dev: header column ${JSON.stringify(odd)} cannot be a metric name`);
  const devices: NetDevStats[] = [];
  all.slice(2).forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `net/dev: line ${i + 3}`;
    const colon = line.lastIndexOf(':');
    const device = line.slice(0, colon).trim();
    const values = line.slice(colon + 1).trim().split(/\s+/);
    if (colon < 0 || device === '' || values.length !== keys.length) {
      throw new Error(`${where}: expected "name: ${keys.length} counters", got ${JSON.stringify(line)}`);
    }
    const stats = new Map(keys.map((k, j) => [k, numberField(values[j], `${where} (${device} ${k})`)]));
    devices.push({ device, stats });
  });
  return devices;
}

/**
 * <proc>/net/dev, which is the network namespace of the agent itself, exactly what node_exporter
 * reads. A containerised agent therefore needs host networking, as node_exporter does; see
 * docs/collectors.md for why <proc>/1/net/dev was not used instead.
 */
export const createNetdevCollector: CollectorFactory = (paths) => ({
  name: 'netdev',
  async collect(signal) {
    const devices = parseNetDev(await readText(join(paths.proc, 'net', 'dev'), signal));
    addNoHandler(devices, paths.sys);
    const byKey = new Map<string, Sample[]>();
    for (const { device, stats } of devices) {
      for (const [key, value] of stats) {
        let samples = byKey.get(key);
        if (samples === undefined) byKey.set(key, (samples = []));
        samples.push({ labels: { device }, value });
      }
    }
    const families: MetricFamily[] = [];
    for (const [key, samples] of byKey) {
      families.push(counter(`node_network_${key}_total`, `Network device statistic ${key}.`, samples, key.endsWith('_bytes') ? 'bytes' : undefined));
    }
    return families;
  },
});

/**
 * rx_nohandler (packets dropped because no protocol handled them, Linux 4.6+) is not in
 * /proc/net/dev; node_exporter gets it over netlink, we from the same kernel counter in
 * <sys>/class/net/<device>/statistics. Devices without the file get no sample.
 */
function addNoHandler(devices: NetDevStats[], sys: string): void {
  for (const { device, stats } of devices) {
    if (device.includes('/') || device.startsWith('.')) continue; // never a path outside class/net
    const path = join(sys, 'class', 'net', device, 'statistics', 'rx_nohandler');
    const text = readAttributeSync(path);
    if (text !== undefined) stats.set('receive_nohandler', parseIntAttribute(text, path));
  }
}
