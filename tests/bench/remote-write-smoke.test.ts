import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { parseReportJson } from '../../bench/bench.js';
import type { RemoteWriteReport } from '../../bench/report/remote-write-report.js';
import { which } from '../../bench/systems/child.js';

// `npm run bench -- --phase remote-write --smoke` end to end with Debian's VictoriaMetrics and
// vmagent: 20 agents x 50 series every 0.5 s through the bridge's remote_write and through
// vmagent, then a 15 s backlog replay through each.
// Checks that every acknowledged sample reached the receiver and the figures are filled in;
// never how fast anything was (the machine is shared).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const missing = ['victoria-metrics', 'vmagent'].filter((b) => which(b) === undefined);
const skip = missing.length > 0 && process.env.CI !== 'true' ? `${missing.join(', ')} not installed (apt-get install victoria-metrics); CI installs it and runs this test` : undefined;
const out = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-rw-smoke-'));
after(() => rmSync(out, { recursive: true, force: true }));

describe('npm run bench -- --phase remote-write --smoke', { skip }, () => {
  const run = skip ? undefined : spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--phase', 'remote-write', '--smoke', '--out', out, '--name', 'smoke'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  const report = (): RemoteWriteReport => parseReportJson<RemoteWriteReport>(readFileSync(join(out, 'smoke.json'), 'utf8'));

  it('finishes and writes the markdown with its command and the shared-machine warning', () => {
    assert.equal(run!.status, 0, `${run!.stdout}\n${run!.stderr}`);
    const markdown = readFileSync(join(out, 'smoke.md'), 'utf8');
    assert.match(markdown, /^# remote_write relay benchmark/);
    assert.match(markdown, /Command: `npm run bench -- --phase remote-write --smoke/);
    assert.match(markdown, /The machine was shared/);
    assert.deepEqual(report().notes, [], 'nothing left out');
  });

  it('every relay run delivered every acknowledged sample to its receiver, with CPU and memory measured', () => {
    const runs = report().runs;
    assert.deepEqual(runs.map((r) => r.relay).sort(), ['fleetpulse', 'vmagent']);
    for (const r of runs) {
      assert.equal(r.failedPushes, 0, r.firstError);
      assert.ok(r.delivery.expected >= 20 * 50 * 2, `${r.delivery.expected} samples acknowledged`);
      assert.equal(r.delivery.found, r.delivery.expected, `${r.relay}: the receiver holds what was acknowledged`);
      for (const v of [r.cpuSecondsPerCycle, r.cpuMicrosecondsPerSample, r.rssBytes, r.anonBytes]) assert.ok(Number.isFinite(v) && v > 0, `${r.relay}: ${v}`);
    }
  });

  it('the replay drained the whole backlog into the receiver, with fresh cycles during it', () => {
    const replays = report().replays;
    assert.deepEqual(replays.map((r) => r.relay).sort(), ['fleetpulse', 'vmagent']);
    for (const r of replays) {
      assert.ok(r.drained, `${r.relay}: ${r.replay.firstError ?? 'cut off'}`);
      assert.equal(r.replay.batches, 20 * r.backlogBatches);
      assert.equal(r.delivery.found, r.delivery.expected, `${r.relay}: the receiver holds backlog and fresh samples`);
      assert.ok(r.delivery.expected > r.replay.samples, 'fresh samples counted too');
    }
  });
});
