import type { MetricFamily } from '../../src/protocol/messages.js';
import { escapeLabelValue, familyHeader, formatValue } from '../../src/server/text-format/format.js';

/**
 * Families as Prometheus text (what a Pushgateway client PUTs); labels sorted by name. With
 * `timestampMs`, every sample line carries it (the text format's optional timestamp).
 */
export function renderText(families: readonly MetricFamily[], timestampMs?: number): string {
  const stamp = timestampMs === undefined ? '' : ` ${Math.round(timestampMs)}`;
  let out = '';
  for (const family of families) {
    out += familyHeader(family.name, family.type, family.help);
    for (const sample of family.samples) {
      const labels = sample.labels ? Object.keys(sample.labels).sort().map((k) => `${k}="${escapeLabelValue(sample.labels![k]!)}"`).join(',') : '';
      const value = typeof sample.value === 'number' ? formatValue(sample.value) : sample.value;
      out += `${family.name}${labels === '' ? '' : `{${labels}}`} ${value}${stamp}\n`;
    }
  }
  return out;
}
