// The whole benchmark: every target at every fleet size, then the agent footprint.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { changingShare } from './fleet/workload.js';
import type { BenchOptions } from './options.js';
import { measureAgentFootprint } from './phases/agent-footprint.js';
import { measureScale, type ScaleResult } from './phases/scale.js';
import { renderChart } from './report/chart-svg.js';
import type { BenchReport } from './report/bench-report.js';
import { describeMachine } from './report/machine.js';
import { renderMarkdown } from './report/markdown.js';
import { evaluateTargets } from './report/targets.js';
import { which } from './systems/child.js';
import { PUSHGATEWAY } from './systems/pushgateway.js';
import type { TargetName } from './systems/target.js';

export async function runBench(options: BenchOptions, log: (line: string) => void = console.log): Promise<BenchReport> {
  const started = Date.now();
  const report: BenchReport = {
    date: new Date().toISOString(),
    mode: options.mode,
    machine: describeMachine(),
    workload: { agents: options.agents, series: options.series, periodMs: options.periodMs, changingShare: changingShare(options.series) },
    durationSeconds: 0,
    loadAverageAtEnd: 0,
    results: [],
    skipped: [],
    notes: [],
    targets: [],
  };
  log(`fleetpulse bench (${options.mode}): ${report.machine.cores} cores, ${report.machine.cpuModel}, Node ${report.machine.node}`);
  const prometheusInstalled = which('prometheus') !== undefined;
  if (!prometheusInstalled && options.prometheusAgents !== undefined) report.notes.push('prometheus is not installed (apt-get install prometheus): no Prometheus-in-the-loop comparison');
  for (const target of options.targets) {
    let fellBehindAt: number | undefined;
    const missing = target !== 'fleetpulse' && which(PUSHGATEWAY) === undefined;
    for (const agents of options.agents) {
      if (missing) {
        report.skipped.push({ target, agents, reason: `${PUSHGATEWAY} is not installed (apt-get install prometheus-pushgateway)` });
        continue;
      }
      if (fellBehindAt !== undefined) {
        report.skipped.push({ target, agents, reason: `could not keep up at ${fellBehindAt} agents already` });
        continue;
      }
      log(`${target}: ${agents} agents x ${options.series} series every ${options.periodMs / 1000} s`);
      const result = await measureScale(target, {
        agents,
        series: options.series,
        periodMs: options.periodMs,
        warmCycles: options.warmCycles,
        measuredCycles: options.measuredCycles,
        gzipScrapes: options.gzipScrapes,
        plainScrapes: options.plainScrapes,
        probes: options.probes,
        maxCycleMs: options.maxCycleMs,
        workers: agents >= 2000 ? 2 : 1,
        pushConnections: 64,
        prometheus: agents === options.prometheusAgents && prometheusInstalled ? { intervalSeconds: options.prometheusIntervalSeconds, scrapes: options.prometheusScrapes } : undefined,
        saturationStartMs: agents === options.saturationAgents ? Math.min(options.periodMs, options.saturationStartMs) : undefined,
        promtool: agents * options.series <= options.promtoolMaxSeries,
        log,
      });
      report.results.push(result);
      if (result.couldNotKeepUp) fellBehindAt = agents;
    }
  }
  if (options.floorAgents !== undefined) {
    log(`floor: fleetpulse with ${options.floorAgents} agents x 1 series (connections, heartbeats and acks alone)`);
    report.floor = await measureScale('fleetpulse', {
      agents: options.floorAgents, series: 1, periodMs: options.periodMs, warmCycles: options.warmCycles, measuredCycles: options.measuredCycles,
      gzipScrapes: 0, plainScrapes: 0, probes: 0, maxCycleMs: options.maxCycleMs, workers: 1, pushConnections: 1,
      prometheus: undefined, saturationStartMs: undefined, promtool: false, cyclesOnly: true, log,
    });
  }
  if (options.footprintWindowMs !== undefined) {
    log(`agent footprint: fleetpulse agent vs node_exporter, every ${options.footprintIntervalMs / 1000} s for ${options.footprintWindowMs / 1000} s`);
    report.footprint = await measureAgentFootprint(options.footprintIntervalMs, options.footprintWindowMs, log, options.footprintStartupMs);
  }
  report.targets = evaluateTargets(report);
  report.durationSeconds = (Date.now() - started) / 1000;
  report.loadAverageAtEnd = Math.round(loadavg()[0]! * 100) / 100;
  return report;
}

/** A report as JSON; numbers JSON lacks (NaN, Infinity) as strings, read back by parseReportJson. */
export function reportJson(report: unknown): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

export function parseReportJson<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v)) as T;
}

/** Writes <name>.md, <name>.json and <name>.svg; returns the markdown. */
export function writeReport(report: BenchReport, outDir: string, name: string): { markdown: string; files: string[] } {
  mkdirSync(outDir, { recursive: true });
  const svgName = `${name}.svg`;
  const markdown = renderMarkdown(report, svgName);
  const files = [join(outDir, `${name}.md`), join(outDir, `${name}.json`), join(outDir, svgName)];
  writeFileSync(files[0]!, markdown);
  writeFileSync(files[1]!, reportJson(report));
  writeFileSync(files[2]!, renderChart(report));
  return { markdown, files };
}
