import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessInstalled, startPrometheus } from '../helpers/prometheus.js';
import { DASHBOARD_DIR, dashboardQueries, substitute, variableValues } from './dashboard-queries.js';

const DATASOURCES = new URL('../../grafana/provisioning/datasources/prometheus.yml', import.meta.url);

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
    const queries = dashboardQueries({ instance: '.+' });
    assert.ok(queries.some((q) => q.dashboard === 'Fleet overview'), 'Fleet overview is provisioned');
    assert.ok(queries.length >= 20, `only ${queries.length} queries found`);
    for (const q of queries) assert.doesNotMatch(q.expr, /\$(?!\d)/, `${q.file} ${q.panel}: unsubstituted variable`);
  });

  it('uses $__rate_interval in every rate() and irate(), and the provisioned datasource in every panel', () => {
    const uid = /^\s*uid:\s*(\S+)/m.exec(readFileSync(DATASOURCES, 'utf8'))?.[1];
    assert.ok(uid, 'datasource provisioning names a uid');
    for (const file of readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(join(DASHBOARD_DIR, file), 'utf8');
      for (const m of text.matchAll(/"uid": "([^"]+)"/g)) {
        const [, found] = m;
        if (found === '-- Grafana --' || !text.slice(Math.max(0, m.index - 60), m.index).includes('"prometheus"')) continue;
        assert.equal(found, uid, `${file}: a Prometheus datasource other than the provisioned one`);
      }
    }
    for (const q of dashboardQueries({ instance: '.+' })) {
      for (const [, window] of q.raw.matchAll(/\b(?:rate|irate)\([^[]*\[([^\]]+)\]/g)) {
        assert.equal(window, '$__rate_interval', `${q.file} ${q.panel} ${q.refId}: ${q.raw}`);
      }
    }
  });
});

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
    for (const q of dashboardQueries({ instance: '(agent-a|agent\\\\.example)', interval: '1m' })) {
      const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(q.expr)}`);
      const body = (await res.json()) as { status: string; errorType?: string; error?: string };
      if (body.status !== 'success') failures.push(`${q.file} "${q.panel}" ${q.refId}: ${body.errorType}: ${body.error}\n  ${q.expr}`);
    }
    assert.deepEqual(failures, []);
  });
});
