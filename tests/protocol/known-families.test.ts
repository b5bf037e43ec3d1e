import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectorFactories } from '../../src/agent/collectors/index.js';
import { AGENT_FLEETPULSE_FAMILIES, knownFamily, reservedMetricNameProblem } from '../../src/protocol/known-families.js';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { agentFamilies, knownFamiliesSource } from '../../scripts/known-families.js';
import { FIXTURES, fixturePaths } from '../agent/collectors/golden.js';

// The bridge's catalogue of known families is generated from what the agent's collectors emit;
// these fail when a collector emits a family the catalogue lacks or describes otherwise.

test('src/protocol/known-families.generated.ts is what the collectors emit (regenerate: npx tsx scripts/known-families.ts)', async () => {
  const committed = readFileSync(new URL('../../src/protocol/known-families.generated.ts', import.meta.url), 'utf8');
  assert.equal(committed, knownFamiliesSource(await agentFamilies()));
});

test('every family in the collectors\' golden files is known with the same TYPE and HELP', () => {
  const dir = join(FIXTURES, 'golden');
  let checked = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'textfile.json')) {
    for (const { name, type, help } of JSON.parse(readFileSync(join(dir, file), 'utf8')) as MetricFamily[]) {
      assert.deepEqual(knownFamily(name), { type, help }, `${name} (golden/${file})`);
      checked++;
    }
  }
  assert.ok(checked > 200, `checked ${checked} families`);
});

test('every family a collector emits on the fixture host is known, TYPE and HELP included', async () => {
  for (const factory of Object.values(collectorFactories)) {
    const collector = factory(fixturePaths);
    const families = await collector.collect(new AbortController().signal).catch(() => []);
    for (const { name, type, help } of families) assert.deepEqual(knownFamily(name), { type, help }, `${collector.name}: ${name}`);
  }
});

test('unknown names are not known, and the agent\'s fleetpulse_ families pass the reserved-name check', () => {
  assert.equal(knownFamily('backup_last_success_seconds'), undefined);
  assert.equal(knownFamily('toString'), undefined);
  assert.ok(AGENT_FLEETPULSE_FAMILIES.has('fleetpulse_cpu_busy_percent'));
  assert.ok(AGENT_FLEETPULSE_FAMILIES.has('fleetpulse_responder_udp_packets_total'));
  for (const name of AGENT_FLEETPULSE_FAMILIES) assert.equal(reservedMetricNameProblem(name), undefined, name);
  assert.notEqual(reservedMetricNameProblem('fleetpulse_agent_up'), undefined);
});
