// Prometheus naming rules, shared by the bridge (validation) and the agent (static labels).
// https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels

export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Agent ids become the `instance` label and appear in logs and URLs: keep them plain. */
export const AGENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const MAX_LABEL_VALUE_BYTES = 4096;
export const MAX_HELP_BYTES = 4096;

/** Label names the bridge sets itself; agents may not send them. */
export const RESERVED_LABELS: ReadonlySet<string> = new Set(['instance', 'job']);

/** Metric name prefixes owned by the bridge's own series. */
export const RESERVED_METRIC_PREFIXES: readonly string[] = ['fleetpulse_agent_', 'fleetpulse_bridge_'];

export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name) && !name.startsWith('__');
}
