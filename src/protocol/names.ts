// Prometheus naming rules, shared by the bridge (validation) and the agent (static labels).
// https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Agent ids become the `instance` label and appear in logs and URLs: keep them plain. */
export const AGENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** hello.interval_ms: the agent's own FLEETPULSE_INTERVAL range; also keeps 3x it inside setTimeout's range. */
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;

export const MAX_LABEL_VALUE_BYTES = 4096;
export const MAX_HELP_BYTES = 4096;

/** Label names the bridge sets itself; agents may not send them. */
export const RESERVED_LABELS: ReadonlySet<string> = new Set(['instance', 'job']);

/** Static labels may not use these either: fleetpulse_agent_info sets them. */
export const RESERVED_STATIC_LABELS: ReadonlySet<string> = new Set([...RESERVED_LABELS, 'version', 'address', 'protocol']);
export const MAX_STATIC_LABELS = 32;

/** Metric name prefixes owned by the bridge's own series (agent status, itself, measurement tasks). */
export const RESERVED_METRIC_PREFIXES: readonly string[] = ['fleetpulse_agent_', 'fleetpulse_bridge_', 'fleetpulse_probe_', 'fleetpulse_task_'];

export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name) && !name.startsWith('__');
}

/** True when `text` is longer than `maxBytes` in UTF-8; cheap for short strings. */
export function exceedsBytes(text: string, maxBytes: number): boolean {
  return text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes;
}

/** A peer-supplied name quoted for an error message, cut so errors stay small. */
export function quoteForError(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Why a set of static labels is unusable, or undefined when it is fine (shared by agent and bridge). */
export function staticLabelsProblem(labels: Record<string, unknown>): string | undefined {
  const names = Object.keys(labels);
  if (names.length > MAX_STATIC_LABELS) return `${names.length} static labels; at most ${MAX_STATIC_LABELS} are allowed`;
  for (const name of names) {
    if (!isValidLabelName(name) || RESERVED_STATIC_LABELS.has(name)) {
      return `static label name ${quoteForError(name)} is invalid or reserved (${[...RESERVED_STATIC_LABELS].join(', ')} are reserved)`;
    }
    const value = labels[name];
    if (typeof value !== 'string' || exceedsBytes(value, MAX_LABEL_VALUE_BYTES)) {
      return `static label "${name}" needs a string value of at most ${MAX_LABEL_VALUE_BYTES} bytes`;
    }
  }
  return undefined;
}
