import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { SinkErrorCodes } from '../../../src/agent/probes/sink-protocol.js';
import { TaskMetrics } from '../../../src/server/tasks/task-metrics.js';

// docs/tasks.md is what operators read: keep its tables in step with the code.
const doc = readFileSync(new URL('../../../docs/tasks.md', import.meta.url), 'utf8');

it('docs/tasks.md lists every metric of TaskMetrics in its metrics table', async () => {
  const registry = new Registry();
  new TaskMetrics(registry);
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.length >= 10);
  for (const name of names) assert.match(doc, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `${name} missing from docs/tasks.md`);
});

it('docs/tasks.md explains every code the probe responder can answer with', () => {
  for (const code of Object.values(SinkErrorCodes)) assert.match(doc, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `${code} missing from docs/tasks.md`);
});
