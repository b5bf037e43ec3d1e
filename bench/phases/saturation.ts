import { cpuSeconds } from '../measure/proc-stats.js';
import { CycleDriver } from '../fleet/cycle-driver.js';
import type { Fleet } from '../fleet/fleet.js';

export interface SaturationStep {
  periodMs: number;
  cycles: number;
  /** Samples acknowledged per second of wall time. */
  samplesPerSecond: number;
  keptUp: boolean;
  cpuCoresBusy: number;
}

export interface Saturation {
  steps: SaturationStep[];
  /** The highest acknowledged rate of any step. */
  samplesPerSecond: number;
  /** The shortest period every cycle kept, if any. */
  shortestKeptPeriodMs: number | undefined;
}

const CYCLES_PER_STEP = 3;
const SHORTEST_PERIOD_MS = 60;

/**
 * Ingest throughput at saturation: the period is halved while every cycle keeps it; once one
 * falls behind, cycles run back to back (period 0) and their rate is the saturation figure.
 */
export async function measureSaturation(fleet: Fleet, pid: number, options: { startPeriodMs: number; maxCycleMs: number; log(line: string): void }): Promise<Saturation> {
  const steps: SaturationStep[] = [];
  let periodMs = options.startPeriodMs;
  for (;;) {
    const step = await runStep(fleet, pid, periodMs, options.maxCycleMs);
    steps.push(step);
    options.log(`  saturation: period ${periodMs} ms -> ${Math.round(step.samplesPerSecond)} samples/s${step.keptUp ? '' : ' (fell behind)'}`);
    if (periodMs === 0 || step.cycles === 0) break;
    periodMs = step.keptUp && periodMs / 2 >= SHORTEST_PERIOD_MS ? Math.round(periodMs / 2) : 0;
  }
  const kept = steps.filter((s) => s.keptUp && s.periodMs > 0).map((s) => s.periodMs);
  return {
    steps,
    samplesPerSecond: Math.max(...steps.map((s) => s.samplesPerSecond)),
    shortestKeptPeriodMs: kept.length === 0 ? undefined : Math.min(...kept),
  };
}

async function runStep(fleet: Fleet, pid: number, periodMs: number, maxCycleMs: number): Promise<SaturationStep> {
  const driver = new CycleDriver(fleet, () => cpuSeconds(pid), periodMs, maxCycleMs);
  await driver.waitForStarts(CYCLES_PER_STEP + 1);
  await driver.stop();
  const cycles = driver.cycles.slice(0, CYCLES_PER_STEP).filter((c) => !c.aborted);
  if (cycles.length === 0) return { periodMs, cycles: 0, samplesPerSecond: 0, keptUp: false, cpuCoresBusy: NaN };
  const samples = cycles.reduce((n, c) => n + c.samples, 0);
  const wallMs = cycles.reduce((n, c) => n + Math.max(periodMs, c.durationMs), 0);
  const a = driver.starts[0]!;
  const b = driver.starts[cycles.length] ?? a;
  return {
    periodMs,
    cycles: cycles.length,
    samplesPerSecond: samples / (wallMs / 1000),
    keptUp: periodMs > 0 && cycles.every((c) => c.durationMs <= periodMs * 1.05 && c.failed === 0),
    cpuCoresBusy: b === a ? NaN : (b.cpu - a.cpu) / ((b.at - a.at) / 1000),
  };
}
