// The few Prometheus HTTP API calls the Compose tests make (https://prometheus.io/docs/prometheus/latest/querying/api/).

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface AlertingRule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  health: string;
  lastError?: string;
  /** RFC 3339 time of the rule's latest evaluation. */
  lastEvaluation: string;
  alerts: { labels: Record<string, string>; state: 'pending' | 'firing' | 'inactive'; /** RFC 3339: since when the expression holds. */ activeAt?: string }[];
}

export interface RuleGroup {
  name: string;
  file: string;
  rules: AlertingRule[];
}

export interface Target {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export class PrometheusApi {
  constructor(readonly url: string) {}

  /** An instant query's vector. */
  query(expr: string): Promise<Sample[]> {
    return this.get<{ result: Sample[] }>('query', { query: expr }).then((d) => d.result);
  }

  /** A range query's matrix over the last `seconds`, as a Grafana time series panel asks. */
  queryRange(expr: string, seconds: number, stepSeconds: number): Promise<Series[]> {
    const end = Date.now() / 1000;
    return this.get<{ result: Series[] }>('query_range', { query: expr, start: String(end - seconds), end: String(end), step: String(stepSeconds) }).then((d) => d.result);
  }

  /** Prometheus' own clock, in seconds. */
  async time(): Promise<number> {
    const [sample] = await this.query('vector(time())');
    return Number(sample!.value[1]);
  }

  ruleGroups(): Promise<RuleGroup[]> {
    return this.get<{ groups: RuleGroup[] }>('rules').then((d) => d.groups);
  }

  /** URLs Prometheus sends alerts to. */
  activeAlertmanagers(): Promise<string[]> {
    return this.get<{ activeAlertmanagers: { url: string }[] }>('alertmanagers').then((d) => d.activeAlertmanagers.map((a) => a.url));
  }

  activeTargets(): Promise<Target[]> {
    return this.get<{ activeTargets: Target[] }>('targets').then((d) => d.activeTargets);
  }

  private async get<T>(endpoint: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${endpoint}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (body.status !== 'success') throw new Error(`${endpoint} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  }
}
