import { join } from 'node:path';
import type { MetricFamily } from '../../protocol/messages.js';
import { gauge, single } from './family.js';
import { lines, numberField } from './parse-field.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

export interface MeminfoField {
  /** node_exporter's key: "Active(anon)" -> "Active_anon", plus "_bytes" when the line has a kB unit. */
  key: string;
  value: number;
}

const METRIC_SUFFIX_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Every line of /proc/meminfo, named as node_exporter names it (kB × 1024 -> bytes). */
export function parseMeminfo(text: string): MeminfoField[] {
  const fields: MeminfoField[] = [];
  for (const { line, lineNo } of lines(text)) {
    const parts = line.trim().split(/\s+/);
    const where = `meminfo: line ${lineNo}`;
    const label = parts[0];
    if (label === undefined || !label.endsWith(':') || parts.length < 2 || parts.length > 3) {
      throw new Error(`${where}: expected "Key: value [kB]", got ${JSON.stringify(line)}`);
    }
    let key = label.slice(0, -1).replace(/\((.*)\)/, '_$1');
    let value = numberField(parts[1], `${where} (${key})`);
    if (parts.length === 3) {
      // The kernel prints every sized field in kB; anything else means we misread the file.
      if (parts[2] !== 'kB') throw new Error(`${where} (${key}): unknown unit ${JSON.stringify(parts[2])}`);
      value *= 1024;
      key += '_bytes';
    }
    if (!METRIC_SUFFIX_RE.test(key)) throw new Error(`${where}: key ${JSON.stringify(key)} cannot be a metric name`);
    fields.push({ key, value });
  }
  return fields;
}

/** 100 × (MemTotal − MemAvailable) / MemTotal, or undefined on kernels without MemAvailable (< 3.14). */
export function memoryUsedPercent(fields: readonly MeminfoField[]): number | undefined {
  const total = fields.find((f) => f.key === 'MemTotal_bytes')?.value;
  const available = fields.find((f) => f.key === 'MemAvailable_bytes')?.value;
  if (total === undefined || available === undefined || total <= 0) return undefined;
  return (100 * (total - available)) / total;
}

export const createMeminfoCollector: CollectorFactory = (paths) => ({
  name: 'meminfo',
  async collect(signal) {
    const fields = parseMeminfo(await readText(join(paths.proc, 'meminfo'), signal));
    const families: MetricFamily[] = fields.map(({ key, value }) =>
      gauge(`node_memory_${key}`, `Memory information field ${key}.`, single(value), key.endsWith('_bytes') ? 'bytes' : undefined),
    );
    const used = memoryUsedPercent(fields);
    if (used !== undefined) {
      families.push(
        gauge('fleetpulse_memory_used_percent', 'Memory in use, 100 * (MemTotal - MemAvailable) / MemTotal.', single(used), 'percent'),
      );
    }
    return families;
  },
});
