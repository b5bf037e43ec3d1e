import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Every PromQL query of every provisioned Grafana dashboard, with Grafana's variables filled
// in, so a test can run each one against a real Prometheus. Pure: reads files, no network.

/** The dashboards docker-compose.yml mounts into Grafana. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));

export interface PanelQuery {
  /** Dashboard file, relative to the directory searched. */
  file: string;
  dashboard: string;
  panel: string;
  refId: string;
  /** Whether Grafana runs it as an instant query (tables, stats) rather than over the time range. */
  instant: boolean;
  /** The expr as written in the dashboard. */
  raw: string;
  /** The expr with every variable substituted: ready for /api/v1/query. */
  expr: string;
}

export interface QueryOptions {
  /**
   * Text put where the dashboard says $instance, verbatim: a regex as it appears inside the
   * PromQL string, e.g. "agent-a|agent-b", ".+", or "(a|b\\.lan)" (backslashes doubled).
   */
  instance: string;
  /** Value of $__rate_interval, $__interval and $__range; default "1m". */
  interval?: string;
  /**
   * Any further dashboard variables by name (e.g. node, job for "Node Exporter Full"). A variable
   * the dashboard declares with an "All" option and that is not given here is set to All.
   */
  variables?: Record<string, string>;
}

interface Target {
  expr?: unknown;
  refId?: string;
  instant?: boolean;
  range?: boolean;
}

interface Panel {
  title?: string;
  targets?: Target[];
  panels?: Panel[];
}

interface TemplateVariable {
  name?: string;
  type?: string;
  includeAll?: boolean;
  allValue?: string | null;
  current?: { value?: unknown };
}

interface Annotation {
  name?: string;
  expr?: unknown;
}

interface Dashboard {
  title?: string;
  panels?: Panel[];
  rows?: Panel[]; // dashboards older than schemaVersion 16
  templating?: { list?: TemplateVariable[] };
  annotations?: { list?: Annotation[] };
}

/** Queries of every *.json dashboard under `dir` (recursively), in file then panel order. */
export function dashboardQueries(options: QueryOptions, dir = DASHBOARD_DIR): PanelQuery[] {
  return dashboardFiles(dir).flatMap((path) => fileQueries(path, options, relative(dir, path)));
}

/** Queries of one dashboard JSON file. */
export function fileQueries(path: string, options: QueryOptions, file = path): PanelQuery[] {
  const dashboard = JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
  const values = { ...allSelections(dashboard), ...variableValues(options) };
  const queries: PanelQuery[] = [];
  // Annotation queries run over the time range like a graph's; named "annotation: <name>".
  for (const a of dashboard.annotations?.list ?? []) {
    if (typeof a.expr !== 'string' || a.expr.trim() === '') continue;
    const panel = `annotation: ${a.name ?? '?'}`;
    queries.push({ file, dashboard: dashboard.title ?? file, panel, refId: 'A', instant: false, raw: a.expr, expr: substitute(a.expr, values, `${file}: ${panel}`) });
  }
  for (const panel of allPanels([...(dashboard.panels ?? []), ...(dashboard.rows ?? [])])) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== 'string' || target.expr.trim() === '') continue;
      const where = `${file}: panel "${panel.title ?? '?'}" query ${target.refId ?? '?'}`;
      queries.push({
        file,
        dashboard: dashboard.title ?? file,
        panel: panel.title ?? '',
        refId: target.refId ?? '',
        instant: target.instant === true && target.range !== true,
        raw: target.expr,
        expr: substitute(target.expr, values, where),
      });
    }
  }
  return queries;
}

/** Grafana's built-in interval variables plus `instance` and the caller's own. */
export function variableValues({ instance, interval = '1m', variables = {} }: QueryOptions): Record<string, string> {
  const ms = durationMs(interval);
  return {
    __rate_interval: interval,
    __interval: interval,
    __range: interval,
    __interval_ms: String(ms),
    __range_ms: String(ms),
    __range_s: String(Math.round(ms / 1000)),
    instance,
    ...variables,
  };
}

// Grafana's reference forms: $name, ${name}, ${name:format}, [[name]], [[name:format]].
const VARIABLE_RE = /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g;

/**
 * Replaces every variable reference in `expr`. An unknown variable throws rather than reaching
 * Prometheus as a confusing parse error; `$1`-style regex back-references are left alone.
 */
export function substitute(expr: string, values: Record<string, string>, where = 'expr'): string {
  return expr.replace(VARIABLE_RE, (whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = (braced ?? bracketed ?? bare)!;
    if (/^\d+$/.test(name)) return whole;
    const value = values[name];
    if (value === undefined) throw new Error(`${where}: no value for variable $${name} in ${JSON.stringify(expr)}`);
    return value;
  });
}

/**
 * What Grafana writes for each variable by default: for one with an "All" option its custom
 * allValue, else a regex of all its values, for which `.+` stands in (it matches those and more,
 * so it never hides data); for any other its saved current value (a textbox's text, the job).
 */
function allSelections(dashboard: Dashboard): Record<string, string> {
  const values: Record<string, string> = {};
  for (const v of dashboard.templating?.list ?? []) {
    if (!v.name) continue;
    if (v.includeAll) values[v.name] = v.allValue || '.+';
    else if (typeof v.current?.value === 'string' && v.current.value !== '') values[v.name] = v.current.value;
  }
  return values;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

function dashboardFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return dashboardFiles(path);
      return name.endsWith('.json') ? [path] : [];
    });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`interval ${JSON.stringify(text)} is not a Prometheus duration like 30s or 1m`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}
