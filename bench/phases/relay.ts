import { CycleDriver } from '../fleet/cycle-driver.js';
import { Fleet } from '../fleet/fleet.js';
import { cpuSeconds, memory } from '../measure/proc-stats.js';
import { awaitDelivery, type Delivery } from '../measure/receiver.js';
import { median, percentile } from '../measure/stats.js';
import { startRelay, type RelayName } from '../systems/relay.js';

export interface RelayOptions {
  agents: number;
  series: number;
  periodMs: number;
  warmCycles: number;
  measuredCycles: number;
  maxCycleMs: number;
  log(line: string): void;
}

export interface RelayRun {
  relay: RelayName;
  agents: number;
  series: number;
  periodMs: number;
  /** Every measured cycle finished within its period, with no failed push. */
  keptUp: boolean;
  couldNotKeepUp?: string;
  cycleSeconds: number[];
  /** The relay's CPU over the measured cycles, per cycle and per sample relayed. */
  cpuSecondsPerCycle: number;
  cpuMicrosecondsPerSample: number;
  /** The receiver's CPU per cycle (same VictoriaMetrics build for both relays). */
  receiverCpuSecondsPerCycle: number;
  /** Rows per remote_write request over the measured cycles, as VictoriaMetrics counted them. */
  samplesPerRequest: number;
  rssBytes: number;
  peakRssBytes: number;
  /** The relay's private memory (RssAnon). */
  anonBytes: number;
  /** Push to acknowledgement, over the measured cycles (bridge: once the receiver has it; vmagent: once queued). */
  ackP50Ms: number;
  ackP99Ms: number;
  delivery: Delivery;
  failedPushes: number;
  firstError?: string;
}

/**
 * One relay at one fleet size: cycles pushed into it, its CPU and memory read from /proc, then
 * the receiver's count checked against every sample the relay acknowledged.
 */
export async function measureRelay(name: RelayName, options: RelayOptions): Promise<RelayRun> {
  const { agents, series, periodMs, log } = options;
  const relay = await startRelay(name, agents);
  let fleet: Fleet | undefined;
  let driver: CycleDriver | undefined;
  try {
    fleet = (await Fleet.start({ target: relay.protocol, port: relay.port, agents, series, workers: agents >= 2000 ? 2 : 1, pushConnections: 64, lifetimeMs: 30 * 60_000 })).fleet;
    driver = new CycleDriver(fleet, () => cpuSeconds(relay.system.pid), periodMs, options.maxCycleMs);
    const first = options.warmCycles;
    const last = first + options.measuredCycles;
    await driver.waitForStarts(first + 1);
    const receiverAtFirst = cpuSeconds(relay.receiver.pid);
    const writesAtFirst = await relay.receiver.writeRequests();
    await driver.waitForStarts(last + 1);
    const receiverAtLast = cpuSeconds(relay.receiver.pid);
    const writesAtLast = await relay.receiver.writeRequests();
    const mem = memory(relay.system.pid);
    await driver.stop();
    const cycles = driver.cycles;
    const failed = cycles.reduce((n, c) => n + c.failed, 0);
    const firstError = cycles.find((c) => c.firstError)?.firstError;
    const expected = cycles.reduce((n, c) => n + c.samples, 0);
    const delivery = await awaitDelivery(relay.receiver, expected, { settleMs: 15_000, boundMs: 120_000 });
    const run: RelayRun = {
      relay: name, agents, series, periodMs, keptUp: false, cycleSeconds: [], cpuSecondsPerCycle: NaN, cpuMicrosecondsPerSample: NaN,
      receiverCpuSecondsPerCycle: NaN, samplesPerRequest: NaN, ...mem, ackP50Ms: NaN, ackP99Ms: NaN, delivery, failedPushes: failed, ...(firstError ? { firstError } : {}),
    };
    if (driver.overran || driver.starts.length <= last) {
      run.couldNotKeepUp = `a cycle of ${agents} pushes did not finish within ${options.maxCycleMs / 1000} s`;
      run.cycleSeconds = cycles.map((c) => c.durationMs / 1000);
      log(`  ${name}: could not keep up: ${run.couldNotKeepUp}`);
      return run;
    }
    const measured = cycles.slice(first, last);
    const a = driver.starts[first]!;
    const b = driver.starts[last]!;
    run.cpuSecondsPerCycle = (b.cpu - a.cpu) / options.measuredCycles;
    run.cpuMicrosecondsPerSample = (run.cpuSecondsPerCycle / (agents * series)) * 1e6;
    run.receiverCpuSecondsPerCycle = (receiverAtLast - receiverAtFirst) / options.measuredCycles;
    run.samplesPerRequest = (writesAtLast.rows - writesAtFirst.rows) / (writesAtLast.requests - writesAtFirst.requests);
    run.cycleSeconds = measured.map((c) => c.durationMs / 1000);
    run.keptUp = measured.every((c) => c.durationMs <= periodMs * 1.05 && c.failed === 0);
    const latencies = measured.flatMap((c) => c.latenciesMs);
    run.ackP50Ms = median(latencies);
    run.ackP99Ms = percentile(latencies, 99);
    log(`  ${name}: cycles ${run.cycleSeconds.map((s) => s.toFixed(2)).join(' ')} s; ${run.cpuSecondsPerCycle.toFixed(3)} CPU-s/cycle ` +
      `(${run.cpuMicrosecondsPerSample.toFixed(2)} µs/sample); ${run.samplesPerRequest.toFixed(0)} samples/write request; RSS ${(run.rssBytes / 2 ** 20).toFixed(0)} MiB; receiver has ${delivery.found} of ${delivery.expected} samples`);
    return run;
  } finally {
    await driver?.stop();
    await fleet?.stop();
    await relay.stop();
  }
}
