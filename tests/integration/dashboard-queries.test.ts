import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessInstalled, startPrometheus } from '../helpers/prometheus.js';
import { DASHBOARD_DIR, dashboardQueries, substitute, variableValues } from './dashboard-queries.js';

// The Network dashboard's task is one task, picked by the user: never "All" (the matrices would mix tasks).
const ONE_TASK = { task: 't_0123456789abcdef' };

describe('dashboard query extraction', () => {
  it('substitutes every Grafana variable form', () => {
    const values = variableValues({ instance: 'a|b', interval: '2m' });
    assert.equal(
      substitute('rate(x{instance=~"$instance"}[$__rate_interval]) + ${instance} + [[instance]] + ${instance:regex} + $__interval_ms + $__range_s', values),
      'rate(x{instance=~"a|b"}[2m]) + a|b + a|b + a|b + 120000 + 120',
    );
  });

  it('leaves regex back-references alone and refuses unknown variables', () => {
    assert.equal(substitute('label_replace(up, "x", "$1", "instance", "(.*):.*")', {}), 'label_replace(up, "x", "$1", "instance", "(.*):.*")');
    assert.throws(() => substitute('up{job="$job"}', variableValues({ instance: '.+' })), /no value for variable \$job/);
  });

  it('sets a variable the dashboard declares with "All" to its All value unless given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-dashboard-'));
    try {
      writeFileSync(join(dir, 'd.json'), JSON.stringify({
        title: 'd',
        templating: { list: [{ name: 'task', includeAll: true, allValue: '.*' }, { name: 'src', includeAll: true }, { name: 'pick', includeAll: false }] },
        panels: [{ title: 'p', targets: [{ refId: 'A', expr: 'x{task=~"$task", src=~"$src", instance=~"$instance"}' }] }],
      }));
      assert.equal(dashboardQueries({ instance: 'a' }, dir)[0]!.expr, 'x{task=~".*", src=~".+", instance=~"a"}');
      assert.equal(dashboardQueries({ instance: 'a', variables: { task: 't1' } }, dir)[0]!.expr, 'x{task=~"t1", src=~".+", instance=~"a"}');
      writeFileSync(join(dir, 'd.json'), JSON.stringify({
        title: 'd',
        templating: { list: [{ name: 'pick', includeAll: false }] },
        panels: [{ title: 'p', targets: [{ refId: 'A', expr: 'x{pick="$pick"}' }] }],
      }));
      assert.throws(() => dashboardQueries({ instance: 'a' }, dir), /no value for variable \$pick/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the provisioned dashboards and their queries', () => {
    const queries = dashboardQueries({ instance: '.+', variables: ONE_TASK });
    assert.ok(queries.some((q) => q.dashboard === 'Fleet overview'), 'Fleet overview is provisioned');
    assert.ok(queries.length >= 20, `only ${queries.length} queries found`);
    for (const q of queries) assert.doesNotMatch(q.expr, /\$(?!\d)/, `${q.file} ${q.panel}: unsubstituted variable`);
  });

  it('uses $__rate_interval in every rate() and irate(), and the ${datasource} variable in every panel and query', () => {
    for (const file of dashboardFileNames()) {
      const text = readFileSync(join(DASHBOARD_DIR, file), 'utf8');
      for (const m of text.matchAll(/"uid": "([^"]+)"/g)) {
        const [, found] = m;
        if (found === '-- Grafana --' || !text.slice(Math.max(0, m.index - 60), m.index).includes('"prometheus"')) continue;
        // A fixed uid breaks the import into a Grafana whose Prometheus has another one.
        assert.equal(found, '${datasource}', `${file}: a Prometheus datasource other than the \${datasource} variable`);
      }
    }
    for (const q of dashboardQueries({ instance: '.+', variables: ONE_TASK })) {
      for (const [, window] of q.raw.matchAll(/\b(?:rate|irate)\([^[]*\[([^\]]+)\]/g)) {
        assert.equal(window, '$__rate_interval', `${q.file} ${q.panel} ${q.refId}: ${q.raw}`);
      }
    }
  });

  it('every dashboard imports anywhere: a datasource variable, __inputs, a job variable, and an instance "All" that is one regex', () => {
    for (const file of dashboardFileNames()) {
      const d = JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as {
        __inputs?: { type: string; pluginId: string }[];
        templating: { list: { name: string; type: string; query?: unknown; includeAll?: boolean; allValue?: string; current?: { value?: unknown } }[] };
        links?: { type: string; tags?: string[] }[];
      };
      const vars = new Map(d.templating.list.map((v) => [v.name, v]));
      assert.deepEqual(d.__inputs?.map((i) => [i.type, i.pluginId]), [['datasource', 'prometheus']], `${file}: __inputs`);
      assert.deepEqual([vars.get('datasource')?.type, vars.get('datasource')?.query], ['datasource', 'prometheus'], `${file}: datasource variable`);
      assert.equal(vars.get('job')?.current?.value, 'fleetpulse', `${file}: job variable`);
      // Without an allValue Grafana writes every value into the regex: 200 hosts, 200 alternatives.
      for (const v of d.templating.list) if (v.includeAll) assert.ok(v.allValue, `${file}: $${v.name} has "All" but no allValue`);
      assert.ok(d.links?.some((l) => l.type === 'dashboards' && l.tags?.includes('fleetpulse')), `${file}: links to the other fleetpulse dashboards`);
    }
  });

  it('every query of every dashboard selects job="$job" on each metric, so node_exporter\'s job="node" series stay out', () => {
    for (const q of dashboardQueries({ instance: '.+', variables: ONE_TASK })) {
      const raw = q.raw.replace(/"[^"]*"/g, (literal) => `"${' '.repeat(literal.length - 2)}"`);
      for (const m of raw.matchAll(/\b(?:node_|fleetpulse_|instance:|up\b|ALERTS\b|scrape_duration_seconds\b)[a-zA-Z0-9_:]*/g)) {
        assert.match(q.raw.slice(m.index), /^[a-zA-Z0-9_:]+\{[^}]*job="\$job"/, `${q.file} "${q.panel}" ${q.refId}: ${m[0]} without job="$job" in ${q.raw}`);
      }
    }
  });

  it('the fleet table and top-10s link each agent to the Host dashboard, which exists', () => {
    const text = readFileSync(join(DASHBOARD_DIR, 'fleetpulse-overview.json'), 'utf8');
    assert.match(text, /"url": "\/d\/fleetpulse-host\/host\?var-datasource=\$\{datasource\}&var-job=\$\{job\}&var-instance=\$\{__value\.raw\}/);
    const host = JSON.parse(readFileSync(join(DASHBOARD_DIR, 'fleetpulse-host.json'), 'utf8')) as { uid: string; templating: { list: { name: string; includeAll?: boolean }[] } };
    assert.equal(host.uid, 'fleetpulse-host');
    assert.equal(host.templating.list.find((v) => v.name === 'instance')?.includeAll, false, 'the host dashboard shows one host');
  });
});

function dashboardFileNames(): string[] {
  return readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'));
}

// A real Prometheus (Debian's package) with nothing to scrape: every query must parse and
// evaluate; empty results are fine here. That the queries return data is the Compose tests' job.
describe('dashboard queries in a real Prometheus', { skip: skipUnlessInstalled('prometheus') }, () => {
  let prometheus: { url: string; stop(): Promise<void> } | undefined;
  let startError: unknown;

  before(async () => {
    // Kept for the test to throw, so a missing binary in CI counts as a failed test rather
    // than as a hook failure that node reports as "cancelled".
    try {
      prometheus = await startPrometheus(undefined);
    } catch (err) {
      startError = err;
    }
  });

  after(async () => {
    await prometheus?.stop();
  });

  it('parses and evaluates every panel query', async () => {
    if (startError) throw startError;
    const failures: string[] = [];
    // A multi-value selection as Grafana writes it into the PromQL string: regex
    // metacharacters of the values escaped, and the backslash doubled for the string literal.
    for (const q of dashboardQueries({ instance: '(agent-a|agent\\\\.example)', interval: '1m', variables: ONE_TASK })) {
      const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(q.expr)}`);
      const body = (await res.json()) as { status: string; errorType?: string; error?: string };
      if (body.status !== 'success') failures.push(`${q.file} "${q.panel}" ${q.refId}: ${body.errorType}: ${body.error}\n  ${q.expr}`);
    }
    assert.deepEqual(failures, []);
  });
});
