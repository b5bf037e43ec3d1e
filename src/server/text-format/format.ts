// Prometheus text exposition format 0.0.4 primitives.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const LABEL_VALUE_SPECIAL = /[\\\n"]/;
const HELP_SPECIAL = /[\\\n]/;

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  if (!LABEL_VALUE_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** HELP text escapes backslash and line feed (not quotes). */
export function escapeHelp(help: string): string {
  if (!HELP_SPECIAL.test(help)) return help;
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's ParseFloat reads JavaScript's number formatting (incl. 1e+21); infinities are spelled +Inf/-Inf. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function familyHeader(name: string, type: string, help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** `k1="v1",k2="v2"` (no braces), in the given order. */
export function renderLabelPairs(labels: Iterable<[string, string]>): string {
  let out = '';
  for (const [name, value] of labels) {
    out += (out === '' ? '' : ',') + name + '="' + escapeLabelValue(value) + '"';
  }
  return out;
}
