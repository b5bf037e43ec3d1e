import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingBinaries, startStack, waitForSamples } from './node-exporter-full.js';
import { evaluateNodeMixin, formatNodeMixin, NODE_MIXIN_ALERTS } from './node-mixin.js';

// CI installs both packages, so there a missing binary fails the test instead of skipping it.
const skip = process.env.CI === 'true' ? false : (missingBinaries() ?? false);

test('node-mixin: every alert whose series node_exporter has on this host has them on fleetpulse data too', { skip, timeout: 180_000 }, async (t) => {
  // The textfile collector needs a directory (node_exporter's Debian package has one by default).
  const textfiles = mkdtempSync(join(tmpdir(), 'fleetpulse-textfile-'));
  process.env.FLEETPULSE_TEXTFILE_DIR = textfiles;
  const stack = await startStack(() => {});
  try {
    for (const target of stack.targets) await waitForSamples(stack.prometheus, target);
    const outcomes = await evaluateNodeMixin(stack.prometheus, stack.targets);
    for (const line of formatNodeMixin(outcomes).split('\n')) t.diagnostic(line);
    assert.ok(outcomes.some((o) => o.missing.nodeExporter.length === 0), 'node_exporter has the series of no alert: the comparison itself is broken');
    const behind = outcomes.filter((o) => o.missing.nodeExporter.length === 0 && o.missing.fleetpulse.length > 0);
    assert.deepEqual(behind.map((o) => `${o.alert}: ${o.missing.fleetpulse.join(', ')}`), []);
  } finally {
    await stack.stop();
    delete process.env.FLEETPULSE_TEXTFILE_DIR;
    rmSync(textfiles, { recursive: true, force: true });
  }
});

test('node-mixin: every alert the list says we ship is in prometheus/rules/node.yml, and no other', () => {
  const shipped = new Set([...readFileSync(new URL('../../prometheus/rules/node.yml', import.meta.url), 'utf8').matchAll(/^\s+- alert: (Node\w+)$/gm)].map((m) => m[1]));
  shipped.delete('NodeFilesystemDeviceError'); // ours, not node-mixin's
  assert.deepEqual(NODE_MIXIN_ALERTS.filter((a) => a.ours === undefined).map((a) => a.alert).sort(), [...shipped].sort());
});
