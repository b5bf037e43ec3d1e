import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { skipUnlessInstalled } from '../helpers/prometheus.js';

// alertmanager/alertmanager.yml, the Compose stack's Alertmanager: valid for amtool, routing every
// alert to the receiver a user plugs mail, Slack or PagerDuty into, with inhibition rules that name
// alerts which exist. That deliveries and inhibition happen is the Compose suite's job.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = `${ROOT}alertmanager/alertmanager.yml`;
const RULES_DIR = `${ROOT}prometheus/rules/`;

interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

const config = parse(readFileSync(CONFIG, 'utf8')) as { route: { receiver: string; group_by: string[] }; inhibit_rules: InhibitRule[]; receivers: { name: string; webhook_configs?: { url: string }[] }[] };
const alertNames = [
  ...new Set(
    readdirSync(RULES_DIR)
      .filter((f) => f.endsWith('.yml') && !f.endsWith('.test.yml'))
      .flatMap((f) => [...readFileSync(RULES_DIR + f, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!)),
  ),
];

function amtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('amtool', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.error?.message ?? ''}${r.stdout}${r.stderr}` };
}

describe('alertmanager/alertmanager.yml with amtool', { skip: skipUnlessInstalled('amtool') }, () => {
  it('amtool check-config: valid, with its inhibition rules and a receiver', () => {
    const { status, output } = amtool(['check-config', CONFIG]);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS/);
    assert.match(output, /6 inhibit rules/);
  });

  it('every severity of every alert is routed to the receiver `default`', () => {
    for (const severity of ['critical', 'warning', 'info']) {
      for (const alertname of ['AgentDown', 'NodeFilesystemAlmostOutOfSpace', 'BridgeDown']) {
        const { status, output } = amtool(['config', 'routes', 'test', `--config.file=${CONFIG}`, `alertname=${alertname}`, `severity=${severity}`]);
        assert.equal(status, 0, output);
        assert.equal(output.split('\n').filter((l) => !l.startsWith('Warning')).join('').trim(), 'default', `${alertname} ${severity}`);
      }
    }
  });
});

describe('alertmanager/alertmanager.yml against the rules', () => {
  it('inhibition matchers name alerts that exist, and BridgeDown and AgentDown inhibit what the runbooks say', () => {
    const matchersOf = (list: string[]) =>
      list.flatMap((m) => {
        const found = /^alertname(=~|=|!=)"(.+)"$/.exec(m);
        return found ? [{ op: found[1]!, value: found[2]! }] : [];
      });
    for (const rule of config.inhibit_rules) {
      for (const { op, value } of matchersOf([...rule.source_matchers, ...rule.target_matchers])) {
        const matches = alertNames.filter((a) => (op === '=~' ? new RegExp(`^(?:${value})$`).test(a) : op === '=' ? a === value : a !== value));
        assert.ok(matches.length > 0, `${op}"${value}" matches no alert of prometheus/rules/`);
      }
    }
    const bySource = (name: string) => config.inhibit_rules.find((r) => r.source_matchers.includes(`alertname="${name}"`));
    assert.deepEqual(bySource('BridgeDown')?.equal, ['job', 'bridge']); // several bridges: tests/alertmanager/inhibition.test.ts
    assert.deepEqual(bySource('AgentDown')?.equal, ['job', 'instance']);
    const hostAlerts = new RegExp(`^(?:${/"(.+)"$/.exec(bySource('AgentDown')!.target_matchers[0]!)![1]})$`);
    for (const name of alertNames.filter((a) => a.startsWith('Node'))) assert.match(name, hostAlerts, `AgentDown inhibits ${name}`);
    assert.doesNotMatch('AgentDown', hostAlerts);
  });

  it('the Compose suite\'s copy (tests/integration/alertmanager/alertmanager.yml) differs only in group timings', () => {
    const copy = parse(readFileSync(`${ROOT}tests/integration/alertmanager/alertmanager.yml`, 'utf8')) as typeof config;
    const withoutTimings = (c: typeof config) => ({ ...c, route: { ...c.route, group_wait: undefined, group_interval: undefined } });
    assert.deepEqual(withoutTimings(copy), withoutTimings(config), 'copy alertmanager/alertmanager.yml there again and re-apply its two timing lines');
    assert.notDeepEqual(copy.route, config.route, 'the copy shortens the timings');
  });

  it('groups by cause and host, and the receiver is a webhook the docs point at', () => {
    assert.deepEqual(config.route.group_by, ['alertname', 'job', 'instance', 'task']);
    assert.equal(config.route.receiver, 'default');
    assert.ok(config.receivers.find((r) => r.name === 'default')?.webhook_configs?.[0]?.url);
    const compose = readFileSync(`${ROOT}docker-compose.yml`, 'utf8');
    assert.match(compose, /image: \$\{ALERTMANAGER_IMAGE:-prom\/alertmanager:v\d+\.\d+\.\d+\}/);
    assert.match(compose, /- \.\/alertmanager:\/etc\/alertmanager:ro/);
    const prometheus = parse(readFileSync(`${ROOT}prometheus/prometheus.yml`, 'utf8')) as { alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] } };
    assert.deepEqual(prometheus.alerting.alertmanagers[0]!.static_configs[0]!.targets, ['alertmanager:9093']);
  });
});
