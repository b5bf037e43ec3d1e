import { join } from 'node:path';
import { gauge, single } from './family.js';
import { numberField } from './parse-field.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

/** The three load averages from /proc/loadavg ("0.21 0.37 0.39 1/719 19737"). */
export function parseLoadavg(text: string): [number, number, number] {
  const fields = text.trim().split(/\s+/);
  return [
    numberField(fields[0], 'loadavg: load1'),
    numberField(fields[1], 'loadavg: load5'),
    numberField(fields[2], 'loadavg: load15'),
  ];
}

export const createLoadavgCollector: CollectorFactory = (paths) => ({
  name: 'loadavg',
  async collect(signal) {
    const [load1, load5, load15] = parseLoadavg(await readText(join(paths.proc, 'loadavg'), signal));
    return [
      gauge('node_load1', '1m load average.', single(load1)),
      gauge('node_load5', '5m load average.', single(load5)),
      gauge('node_load15', '15m load average.', single(load15)),
    ];
  },
});
