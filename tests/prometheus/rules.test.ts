import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { skipUnlessInstalled } from '../helpers/prometheus.js';

// The alert rules the Compose stack loads, checked and unit-tested with promtool: each alert
// fires for the series it is about and stays quiet for the others (prometheus/rules/*.test.yml).

const RULES_DIR = fileURLToPath(new URL('../../prometheus/rules/', import.meta.url));
const skip = skipUnlessInstalled('promtool');

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: RULES_DIR, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.error?.message ?? ''}${result.stdout}${result.stderr}` };
}

describe('prometheus/rules', { skip }, () => {
  it('promtool check rules: every rule parses', () => {
    const { status, output } = promtool(['check', 'rules', 'fleetpulse.yml']);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: every alert fires when it should and only then', () => {
    const { status, output } = promtool(['test', 'rules', 'fleetpulse.test.yml']);
    assert.equal(status, 0, output);
  });
});

it('every alert of fleetpulse.yml has a unit test in fleetpulse.test.yml', () => {
  const alerts = [...readFileSync(`${RULES_DIR}fleetpulse.yml`, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  const tested = new Set([...readFileSync(`${RULES_DIR}fleetpulse.test.yml`, 'utf8').matchAll(/alertname: (\w+)$/gm)].map((m) => m[1]));
  assert.ok(alerts.length >= 7, `found ${alerts.length} alerts`);
  assert.deepEqual(alerts.filter((a) => !tested.has(a)), []);
});
