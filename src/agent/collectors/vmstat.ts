import { join } from 'node:path';
import { METRIC_NAME_RE } from '../../protocol/names.js';
import type { MetricFamily } from '../../protocol/messages.js';
import { family, single } from './family.js';
import { FieldVerdicts, lines, numberField } from './parse-field.js';
import { readText } from './read-text.js';
import type { CollectorFactory } from './types.js';

/** node_exporter's default --collector.vmstat.fields: a prefix match, so "pgpgin" and "pgpgout" both pass. */
export const DEFAULT_VMSTAT_FIELDS = /^(oom_kill|pgpg|pswp|pg.*fault).*/;

/** The "name value" lines of /proc/vmstat whose name matches `keep` (a collector passes its FieldVerdicts). */
export function parseVmstat(text: string, keep: RegExp | FieldVerdicts): Array<{ field: string; value: number }> {
  const out: Array<{ field: string; value: number }> = [];
  for (const { line, lineNo } of lines(text)) {
    const space = line.indexOf(' ');
    const field = space < 0 ? line : line.slice(0, space);
    if (!keep.test(field)) continue;
    out.push({ field, value: numberField(space < 0 ? undefined : line.slice(space + 1).trim(), `vmstat: line ${lineNo} (${field})`) });
  }
  return out;
}

export const createVmstatCollector: CollectorFactory = (paths, options) => {
  const fields = new FieldVerdicts(options?.vmstatFields ?? DEFAULT_VMSTAT_FIELDS);
  return {
    name: 'vmstat',
    async collect(signal) {
      const families: MetricFamily[] = [];
      for (const { field, value } of parseVmstat(await readText(join(paths.proc, 'vmstat'), signal), fields)) {
        const name = `node_vmstat_${field}`;
        if (!METRIC_NAME_RE.test(name)) throw new Error(`vmstat: field ${JSON.stringify(field)} cannot be a metric name`);
        // untyped, as node_exporter: most fields are counters, a few (nr_*) are gauges.
        families.push(family('untyped', name, `/proc/vmstat information field ${field}.`, single(value)));
      }
      return families;
    },
  };
};
