import { join } from 'node:path';
import type { MetricFamily } from '../../protocol/messages.js';
import { gauge, single } from './family.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

/** os-release(5) locations, in the order systemd reads them. */
const FILES = ['etc/os-release', 'usr/lib/os-release'];

/**
 * os-release(5): KEY=value lines in shell syntax; values may be double-quoted (with \" \\ \$ \`
 * escapes) or single-quoted. Comments and blank lines are skipped; a malformed line throws.
 */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`os-release line ${i + 1}: expected KEY=value, got ${JSON.stringify(line.slice(0, 80))}`);
    const [, key, value] = m as unknown as [string, string, string];
    if (value.startsWith('"')) {
      const q = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
      if (!q) throw new Error(`os-release line ${i + 1}: unterminated double quote`);
      out.set(key, q[1]!.replace(/\\([\\"$`])/g, '$1'));
    } else if (value.startsWith("'")) {
      const q = /^'([^']*)'$/.exec(value);
      if (!q) throw new Error(`os-release line ${i + 1}: unterminated single quote`);
      out.set(key, q[1]!);
    } else {
      out.set(key, value);
    }
  });
  return out;
}

const INFO_LABELS = ['build_id', 'id', 'id_like', 'image_id', 'image_version', 'name', 'pretty_name', 'variant', 'variant_id', 'version', 'version_codename', 'version_id'] as const;

/** node_os_info, node_os_version (major.minor of VERSION_ID) and the support end, as node_exporter's os collector. */
export function osFamilies(release: ReadonlyMap<string, string>): MetricFamily[] {
  const get = (label: string): string => release.get(label.toUpperCase()) ?? '';
  const families = [
    gauge('node_os_info', "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.", [
      { labels: Object.fromEntries(INFO_LABELS.map((l) => [l, get(l)])), value: 1 },
    ]),
  ];
  const majorMinor = /^[0-9]+\.?[0-9]*/.exec(get('version_id'))?.[0];
  const version = majorMinor === undefined ? 0 : Number.parseFloat(majorMinor);
  if (version > 0) {
    families.push(gauge('node_os_version', 'Metric containing the major.minor part of the OS version.', [{ labels: { id: get('id'), id_like: get('id_like'), name: get('name') }, value: version }]));
  }
  const supportEnd = get('support_end');
  if (supportEnd !== '') {
    const seconds = Date.parse(`${supportEnd}T00:00:00Z`) / 1000;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(supportEnd) || Number.isNaN(seconds)) throw new Error(`os-release: SUPPORT_END=${JSON.stringify(supportEnd)} is not a YYYY-MM-DD date`);
    families.push(gauge('node_os_support_end_timestamp_seconds', 'Metric containing the end-of-life date timestamp of the OS.', single(seconds), 'seconds'));
  }
  return families;
}

/** The host's os-release under <root>: in a container, the host's rather than the image's. */
export const createOsCollector: CollectorFactory = (paths) => ({
  name: 'os',
  async collect(signal) {
    for (const file of FILES) {
      try {
        return osFamilies(parseOsRelease(await readText(join(paths.root, file), signal)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new Error(`no os-release file under ${paths.root} (${FILES.join(', ')})`);
  },
});
