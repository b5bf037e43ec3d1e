import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { BenchReport } from '../../bench/report/bench-report.js';

// `npm run bench -- --smoke` end to end: 20 agents x 50 series, a few 0.5 s cycles, every phase
// in miniature. Checks that it runs and that its figures are sane and filled in; never how
// fast anything was (the machine is shared).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-smoke-'));
after(() => rmSync(out, { recursive: true, force: true }));

const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

describe('npm run bench -- --smoke', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out, '--name', 'smoke'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });

  it('finishes and writes markdown, JSON and an SVG chart', () => {
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const markdown = readFileSync(join(out, 'smoke.md'), 'utf8');
    assert.match(markdown, /^# fleetpulse benchmark/);
    assert.match(markdown, /\| fleetpulse bridge \| 20 \|/);
    assert.match(run.stdout, /## Targets/, 'the table is printed too');
    assert.match(readFileSync(join(out, 'smoke.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
  });

  it('measures the bridge: cycles, CPU, memory, scrapes, visibility, throughput', () => {
    const report = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8')) as BenchReport;
    assert.ok(report.machine.cores >= 1 && report.machine.node.startsWith('v'));
    const bridge = report.results.find((r) => r.target === 'fleetpulse');
    assert.ok(bridge, 'a fleetpulse row');
    assert.equal(bridge.failedPushes, 0, bridge.firstError);
    assert.ok(bridge.keptUp !== undefined && bridge.cycleSeconds.length >= 1);
    for (const v of [bridge.cpuSecondsPerCycle, bridge.cpuSecondsPerCycleScraped, bridge.rssBytes, bridge.gzip?.p50Seconds, bridge.gzip?.bytes, bridge.plain?.bytes, bridge.saturation?.samplesPerSecond]) {
      assert.ok(positive(v), `expected a positive figure, got ${v}`);
    }
    assert.ok(bridge.plain!.bytes > bridge.gzip!.bytes, 'gzip is smaller than plain');
    assert.ok(bridge.seriesExposed! >= 20 * 50, `${bridge.seriesExposed} series exposed`);
    assert.ok(bridge.visibility!.visibleMs.every((v) => Number.isFinite(v) && v >= 0), 'the probe value showed up');
    if (bridge.promtool !== undefined && !bridge.promtool.includes('not installed')) assert.doesNotMatch(bridge.promtool, /FAILED/);
    if (bridge.prometheus) assert.ok(bridge.prometheus.scrapes >= 1 && bridge.prometheus.samplesScraped >= 20 * 50);
  });

  it('measures Pushgateway the same way when it is installed, and the agent next to node_exporter', () => {
    const report = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8')) as BenchReport;
    const gateway = report.results.find((r) => r.target === 'pushgateway-nocheck');
    if (gateway) {
      assert.equal(gateway.failedPushes, 0, gateway.firstError);
      assert.ok(positive(gateway.cpuSecondsPerCycle) && positive(gateway.gzip?.bytes));
      assert.ok(gateway.seriesExposed! >= 20 * 50);
    } else {
      assert.ok(report.skipped.some((s) => s.target === 'pushgateway-nocheck'), 'skipped with a reason');
    }
    const footprint = report.footprint!;
    assert.equal(footprint.agentFile, 'dist/fleetpulse-agent.cjs', 'the agent as deployed: its own bundle');
    assert.ok(footprint.agent.rounds >= 1 && footprint.agent.series > 0 && positive(footprint.agent.rssBytes));
    assert.ok('skipped' in footprint.nodeExporter || footprint.nodeExporter.series > 0);
    assert.equal(report.targets.length > 0, true);
  });
});
