import { join } from 'node:path';
import { gauge } from './family.js';
import { readText } from './read-text.js';
import type { CollectorFactory } from './types.js';

/**
 * Entries per device in /proc/net/arp ("IP address  HW type  Flags  HW address  Mask  Device").
 * The kernel already leaves out NOARP neighbours, as node_exporter's netlink path does.
 */
export function parseArp(text: string): Map<string, number> {
  const perDevice = new Map<string, number>();
  const rows = text.split('\n');
  if (!(rows[0] ?? '').startsWith('IP address')) throw new Error(`arp: unexpected header ${JSON.stringify(rows[0] ?? '')}`);
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i]!.trim();
    if (row === '') continue;
    const cols = row.split(/\s+/);
    if (cols.length !== 6) throw new Error(`arp: line ${i + 1}: expected 6 columns, got ${JSON.stringify(row)}`);
    const device = cols[5]!;
    perDevice.set(device, (perDevice.get(device) ?? 0) + 1);
  }
  return perDevice;
}

export const createArpCollector: CollectorFactory = (paths) => ({
  name: 'arp',
  async collect(signal) {
    const perDevice = parseArp(await readText(join(paths.proc, 'net', 'arp'), signal));
    const samples = [...perDevice].map(([device, value]) => ({ labels: { device }, value }));
    // No family at all without entries, as node_exporter (a family needs a sample).
    return samples.length === 0 ? [] : [gauge('node_arp_entries', 'ARP entries by device', samples)];
  },
});
