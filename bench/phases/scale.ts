import { spawnSync } from 'node:child_process';
import { CycleDriver, sleep } from '../fleet/cycle-driver.js';
import { Fleet, type CycleResult } from '../fleet/fleet.js';
import type { BenchOptions } from '../options.js';
import { cpuSeconds, memory } from '../measure/proc-stats.js';
import { countSeries, scrape, type Scrape } from '../measure/scrape.js';
import { median, percentile } from '../measure/stats.js';
import { which } from '../systems/child.js';
import { startTarget, type RunningTarget, type TargetName } from '../systems/target.js';
import { prometheusLoop, type PrometheusLoop } from './prometheus-loop.js';
import { measureSaturation, type Saturation } from './saturation.js';
import { measureVisibility, type Visibility } from './visibility.js';

/** The run's settings a scale phase takes as they are; the rest is per phase. */
type SharedOptions = Pick<BenchOptions, 'series' | 'periodMs' | 'warmCycles' | 'measuredCycles' | 'gzipScrapes' | 'plainScrapes' | 'probes' | 'maxCycleMs'>;

export interface ScaleOptions extends SharedOptions {
  agents: number;
  workers: number;
  pushConnections: number;
  prometheus: { intervalSeconds: number; scrapes: number } | undefined;
  /** First period of the saturation ramp; undefined = no ramp. */
  saturationStartMs: number | undefined;
  /** Run `promtool check metrics` on one body (only sensible for small ones). */
  promtool: boolean;
  /** Cycles, CPU and memory only: no scrapes, probes, Prometheus or saturation. */
  cyclesOnly?: boolean;
  log(line: string): void;
}

export interface ScrapeFigures {
  count: number;
  /** The first scrape, before the measured ones (for fleetpulse: nothing compressed yet). */
  firstSeconds: number;
  p50Seconds: number;
  p99Seconds: number;
  bytes: number;
  /** CPU of the target during a scrape, beyond its ingest rate. */
  cpuSecondsPerScrape: number;
  /** CPU seconds per wall second over the scrapes and the waits between them (ingest included). */
  coresWhileScraped: number;
}

export interface ScaleResult {
  target: TargetName;
  agents: number;
  series: number;
  periodMs: number;
  /** Every measured cycle finished within its period. */
  keptUp: boolean;
  /** Why the run stopped early, e.g. a cycle over the time bound. */
  couldNotKeepUp?: string;
  /** Pushes done within the bound when a cycle overran. */
  pushesInBound?: number;
  cycleSeconds: number[];
  cpuSecondsPerCycle: number;
  /** CPU seconds per wall second during the measured cycles. */
  coresBusy: number;
  /** CPU seconds per cycle while gzip-scraped once per period: ingest, scrapes and work between them. */
  cpuSecondsPerCycleScraped?: number;
  rssBytes: number;
  peakRssBytes: number;
  seriesExposed?: number;
  promtool?: string;
  gzip?: ScrapeFigures;
  plain?: ScrapeFigures;
  visibility?: Visibility;
  prometheus?: PrometheusLoop;
  saturation?: Saturation;
  failedPushes: number;
  firstError?: string;
}

/** One target at one fleet size: cycles, CPU, memory, scrapes, visibility, and optionally more. */
export async function measureScale(name: TargetName, options: ScaleOptions): Promise<ScaleResult> {
  const { agents, series, periodMs, log } = options;
  const target = await startTarget(name, agents);
  const lifetimeMs = 30 * 60_000;
  let fleet: Fleet | undefined;
  let driver: CycleDriver | undefined;
  const result: ScaleResult = {
    target: name, agents, series, periodMs, keptUp: false, cycleSeconds: [], cpuSecondsPerCycle: NaN, coresBusy: NaN,
    rssBytes: NaN, peakRssBytes: NaN, failedPushes: 0,
  };
  try {
    const started = await Fleet.start({ target: target.protocol, port: target.port, agents, series, workers: options.workers, pushConnections: options.pushConnections, lifetimeMs });
    fleet = started.fleet;
    log(`  ${agents} agents ready in ${(started.connectMs / 1000).toFixed(1)} s`);
    driver = new CycleDriver(fleet, () => cpuSeconds(target.system.pid), periodMs, options.maxCycleMs);
    const first = options.warmCycles;
    const last = first + options.measuredCycles;
    await driver.waitForStarts(last + 1);
    const noteCycles = (cycles: CycleResult[]): void => {
      for (const c of cycles) {
        result.failedPushes += c.failed;
        result.firstError ??= c.firstError;
      }
    };
    if (driver.overran) {
      const over = driver.overran;
      noteCycles(driver.cycles);
      result.couldNotKeepUp = `a cycle of ${agents} pushes did not finish within ${options.maxCycleMs / 1000} s (${over.pushes} done)`;
      result.pushesInBound = over.pushes;
      result.cycleSeconds = driver.cycles.map((c) => c.durationMs / 1000);
      Object.assign(result, memory(target.system.pid));
      log(`  could not keep up: ${result.couldNotKeepUp}`);
      return result;
    }
    const measured = driver.cycles.slice(first, last);
    noteCycles(driver.cycles);
    const a = driver.starts[first]!;
    const b = driver.starts[last]!;
    result.cpuSecondsPerCycle = (b.cpu - a.cpu) / options.measuredCycles;
    result.coresBusy = (b.cpu - a.cpu) / ((b.at - a.at) / 1000);
    result.cycleSeconds = measured.map((c) => c.durationMs / 1000);
    result.keptUp = measured.every((c) => c.durationMs <= periodMs * 1.05 && c.failed === 0);
    Object.assign(result, memory(target.system.pid));
    log(`  cycles ${result.cycleSeconds.map((s) => s.toFixed(2)).join(' ')} s; ${result.cpuSecondsPerCycle.toFixed(3)} CPU-s/cycle; RSS ${(result.rssBytes / 2 ** 20).toFixed(0)} MiB`);
    if (options.cyclesOnly) return result;

    result.gzip = await scrapes(target, true, options.gzipScrapes, periodMs, result.coresBusy, (text) => {
      result.seriesExposed = countSeries(text);
      if (options.promtool) result.promtool = promtoolCheck(text);
    });
    result.cpuSecondsPerCycleScraped = result.gzip.coresWhileScraped * (periodMs / 1000);
    result.plain = await scrapes(target, false, options.plainScrapes, periodMs, result.coresBusy);
    log(`  gzip scrape p50 ${result.gzip.p50Seconds.toFixed(3)} s (${(result.gzip.bytes / 2 ** 20).toFixed(1)} MiB), plain p50 ${result.plain.p50Seconds.toFixed(3)} s (${(result.plain.bytes / 2 ** 20).toFixed(1)} MiB); ${result.seriesExposed} series exposed`);
    result.visibility = await measureVisibility(target, options.probes, 30_000, 60_000);
    log(`  visible after ${result.visibility.visibleMs.map((v) => v.toFixed(0)).join(', ')} ms`);
    if (options.prometheus) {
      result.prometheus = await prometheusLoop(target, options.prometheus.intervalSeconds, options.prometheus.scrapes);
      log(`  Prometheus scrape_duration_seconds p50 ${result.prometheus.durationP50Seconds.toFixed(3)} s, max ${result.prometheus.durationMaxSeconds.toFixed(3)} s over ${result.prometheus.scrapes} scrapes`);
    }
    await driver.stop();
    noteCycles(driver.cycles.slice(last));
    if (options.saturationStartMs !== undefined) {
      // A target that did not keep the normal period goes straight to back-to-back cycles.
      result.saturation = await measureSaturation(fleet, target.system.pid, { startPeriodMs: result.keptUp ? options.saturationStartMs : 0, maxCycleMs: options.maxCycleMs, log });
    }
    return result;
  } finally {
    await driver?.stop();
    await fleet?.stop();
    await target.system.stop();
  }
}

/** A slow target gets fewer scrapes: after this long, a scrape phase stops at 2 measured ones. */
const SCRAPE_PHASE_BOUND_MS = 60_000;

/**
 * A first scrape (reported apart: it warms whatever a target caches, as the first of
 * Prometheus' scrapes would), then `count` scrapes, each spacingMs after the previous one
 * started, as a scraper with that interval would; fewer when they are slow (see the bound).
 */
async function scrapes(target: RunningTarget, gzip: boolean, count: number, spacingMs: number, ingestCores: number, inspect?: (text: string) => void): Promise<ScrapeFigures> {
  const first = await scrape(target.metricsUrl, { gzip, keepText: inspect !== undefined, timeoutMs: 120_000 });
  if (first.text !== undefined) inspect?.(first.text);
  const done: Scrape[] = [];
  let extraCpu = 0;
  let previous = first.startedAt;
  await sleep(previous + spacingMs - Date.now());
  const cpuStart = cpuSeconds(target.system.pid);
  const wallStart = Date.now();
  for (let i = 0; i < count; i++) {
    if (i >= 2 && Date.now() - first.startedAt > SCRAPE_PHASE_BOUND_MS) break;
    await sleep(previous + spacingMs - Date.now());
    const cpuBefore = cpuSeconds(target.system.pid);
    const s = await scrape(target.metricsUrl, { gzip, timeoutMs: 120_000 });
    extraCpu += Math.max(0, cpuSeconds(target.system.pid) - cpuBefore - ingestCores * s.seconds);
    done.push(s);
    previous = s.startedAt;
  }
  await sleep(previous + spacingMs - Date.now());
  const coresWhileScraped = (cpuSeconds(target.system.pid) - cpuStart) / ((Date.now() - wallStart) / 1000);
  const seconds = done.map((s) => s.seconds);
  return {
    count: done.length,
    firstSeconds: first.seconds,
    p50Seconds: percentile(seconds, 50),
    p99Seconds: percentile(seconds, 99),
    bytes: median(done.map((s) => s.bytes)),
    cpuSecondsPerScrape: extraCpu / done.length,
    coresWhileScraped,
  };
}

function promtoolCheck(text: string): string {
  const binary = which('promtool');
  if (!binary) return 'promtool not installed';
  const r = spawnSync(binary, ['check', 'metrics'], { input: text, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const problems = `${r.stdout}${r.stderr}`.trim().split('\n').filter((l) => l !== '');
  // Lint remarks (e.g. a counter without _total) are about metric names, not the format.
  if (r.status === 0) return 'ok';
  const parseError = problems.find((l) => /error while linting|parsing error/i.test(l));
  return parseError ? `FAILED: ${parseError}` : `parses; ${problems.length} naming remarks (e.g. ${problems[0]})`;
}
