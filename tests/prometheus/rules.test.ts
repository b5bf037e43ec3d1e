import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { skipUnlessInstalled } from '../helpers/prometheus.js';

// The alert and recording rules the Compose stack loads: checked and unit-tested with promtool
// (prometheus/rules/*.test.yml), and held to what an operator relies on: every rule loaded by
// prometheus.yml, scoped to job="fleetpulse", with a runbook section, and with unit tests.

const PROMETHEUS_DIR = fileURLToPath(new URL('../../prometheus/', import.meta.url));
const RULES_DIR = `${PROMETHEUS_DIR}rules/`;
const RUNBOOKS = fileURLToPath(new URL('../../docs/runbooks.md', import.meta.url));
const skip = skipUnlessInstalled('promtool');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const ruleFiles = readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml') && !f.endsWith('.test.yml')).sort();
const testFiles = readdirSync(RULES_DIR).filter((f) => f.endsWith('.test.yml')).sort();
const rules: (Rule & { file: string })[] = ruleFiles.flatMap((file) =>
  (parse(readFileSync(RULES_DIR + file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules.map((r) => ({ ...r, file }))),
);
const alerts = rules.filter((r) => r.alert !== undefined);

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: RULES_DIR, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.error?.message ?? ''}${result.stdout}${result.stderr}` };
}

describe('prometheus/rules with promtool', { skip }, () => {
  it('promtool check rules: every rule file parses', () => {
    const { status, output } = promtool(['check', 'rules', ...ruleFiles]);
    assert.equal(status, 0, output);
    assert.equal([...output.matchAll(/SUCCESS: \d+ rules found/g)].length, ruleFiles.length, output);
  });

  for (const file of testFiles) {
    it(`promtool test rules ${file}: each rule fires when it should, and only then`, () => {
      const { status, output } = promtool(['test', 'rules', file]);
      assert.equal(status, 0, output);
    });
  }
});

describe('prometheus/rules as an operator needs them', () => {
  it('prometheus.yml loads every rule file, and nothing else', () => {
    const config = parse(readFileSync(`${PROMETHEUS_DIR}prometheus.yml`, 'utf8')) as { rule_files: string[] };
    assert.deepEqual([...config.rule_files].sort(), ruleFiles.map((f) => `rules/${f}`));
  });

  it('every alert has a unit test, and every rule file a test file', () => {
    const tested = new Set(testFiles.flatMap((f) => [...readFileSync(RULES_DIR + f, 'utf8').matchAll(/alertname: (\w+)$/gm)].map((m) => m[1])));
    assert.ok(alerts.length >= 30, `found ${alerts.length} alerts`);
    assert.deepEqual([...new Set(alerts.map((a) => a.alert!))].filter((a) => !tested.has(a)), []);
    for (const file of ruleFiles) assert.ok(testFiles.includes(file.replace(/\.yml$/, '.test.yml')), `${file} has no unit tests`);
  });

  it('every metric selector of every rule is scoped to job="fleetpulse"', () => {
    for (const rule of rules) {
      // String literals blanked (same length, so indices still match rule.expr): label values are not names.
      const expr = rule.expr.replace(/"[^"]*"/g, (literal) => `"${' '.repeat(literal.length - 2)}"`);
      for (const m of expr.matchAll(/\b(?:node_|fleetpulse_|up\b)[a-zA-Z0-9_:]*/g)) {
        assert.match(
          rule.expr.slice(m.index),
          /^[a-zA-Z0-9_:]+\{[^}]*job="fleetpulse"/,
          `${rule.file} ${rule.alert ?? rule.record}: ${m[0]} is not scoped to job="fleetpulse"`,
        );
      }
    }
  });

  it('every alert has a severity, a summary, a description and a runbook section that exists', () => {
    const anchors = new Set([...readFileSync(RUNBOOKS, 'utf8').matchAll(/^### (\w+)$/gm)].map((m) => m[1]!.toLowerCase()));
    for (const a of alerts) {
      const where = `${a.file} ${a.alert}`;
      assert.match(a.labels?.severity ?? '', /^(critical|warning|info)$/, where);
      assert.ok(a.annotations?.summary && a.annotations.description, `${where}: summary and description`);
      assert.equal(a.annotations?.runbook_url, `docs/runbooks.md#${a.alert!.toLowerCase()}`, where);
      assert.ok(anchors.has(a.alert!.toLowerCase()), `${where}: docs/runbooks.md has no "### ${a.alert}" section`);
    }
  });

  it('every alert on the bridge\'s series that has a `for:` keeps firing through a failed scrape', () => {
    for (const a of alerts) {
      if (a.for === undefined || a.alert === 'BridgeDown') continue; // `up` itself is never stale
      assert.ok(a.keep_firing_for, `${a.file} ${a.alert}: no keep_firing_for`);
    }
  });
});
