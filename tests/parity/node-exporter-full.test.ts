import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compareNodeExporterFull, formatComparison, missingBinaries } from './node-exporter-full.js';

const FLOOR = JSON.parse(readFileSync(new URL('./node-exporter-full.floor.json', import.meta.url), 'utf8')) as { fleetpulse: number };
// CI installs both packages, so there a missing binary fails the test instead of skipping it.
const skip = process.env.CI === 'true' ? false : (missingBinaries() ?? false);

test('Node Exporter Full: fleetpulse fills at least the recorded number of panels', { skip, timeout: 180_000 }, async (t) => {
  const result = await compareNodeExporterFull();
  const report = formatComparison(result);
  for (const line of report.split('\n')) t.diagnostic(line);
  assert.deepEqual(result.panels.flatMap((p) => p.errors.map((e) => `${p.panel}: ${e}`)), [], 'every panel query parses and evaluates');
  assert.ok(result.nodeExporter > 0, `node_exporter fills no panel: the comparison itself is broken\n${report}`);
  assert.ok(result.fleetpulse >= FLOOR.fleetpulse, `fleetpulse fills ${result.fleetpulse} panels, below the recorded floor ${FLOOR.fleetpulse}\n${report}`);
  // A panel node_exporter fills and we do not must be explained in docs/collectors.md (by its title).
  const docs = readFileSync(new URL('../../docs/collectors.md', import.meta.url), 'utf8');
  const explained = docs.slice(docs.indexOf('## Node Exporter Full'));
  const unexplained = result.panels.filter((p) => p.nodeExporter && !p.fleetpulse && !explained.includes(`**${p.panel}**`)).map((p) => p.panel);
  assert.deepEqual(unexplained, [], `panels node_exporter fills and fleetpulse does not, with no reason under "Node Exporter Full" in docs/collectors.md\n${report}`);
});
