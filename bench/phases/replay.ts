import { CycleDriver, sleep } from '../fleet/cycle-driver.js';
import { Fleet, type ReplayResult } from '../fleet/fleet.js';
import { cpuSeconds, memory } from '../measure/proc-stats.js';
import { awaitDelivery, type Delivery } from '../measure/receiver.js';
import { median, percentile } from '../measure/stats.js';
import { startRelay, type RelayName } from '../systems/relay.js';

export interface ReplayOptions {
  agents: number;
  series: number;
  periodMs: number;
  /** Batches per agent from before it connected (15 min at 5 s = 180). */
  backlogBatches: number;
  /** Backlog batches in flight per agent. */
  window: number;
  retryDelayMs: number;
  /** The drain is cut off after this long (and reported as not finished). */
  maxMs: number;
  maxCycleMs: number;
  log(line: string): void;
}

export interface ReplayRun {
  relay: RelayName;
  agents: number;
  series: number;
  periodMs: number;
  backlogBatches: number;
  window: number;
  /** Every agent's whole backlog was acknowledged within the bound, with no failure. */
  drained: boolean;
  replay: ReplayResult;
  /** Replay start to the last backlog acknowledgement. */
  ackedSeconds: number;
  ackedSamplesPerSecond: number;
  /** Replay start until the receiver held everything acknowledged (an upper bound: counted after the fresh cycles stopped). */
  inReceiverSeconds: number;
  /** The relay's CPU from replay start to its last acknowledgement, per backlog sample (fresh cycles included). */
  cpuMicrosecondsPerSample: number;
  peakRssBytes: number;
  /** Fresh cycles while the backlog drained: how many kept the period, and their push-to-ack times. */
  fresh: { cycles: number; keptUp: number; ackP50Ms: number; ackP99Ms: number; ackMaxMs: number; failed: number };
  /** The fresh cycle before the replay, for comparison. */
  freshBeforeAckP50Ms: number;
  /** Age of the stalest agent's newest sample in the receiver, polled during the drain: median and max. */
  receiverLagMedianSeconds: number;
  receiverLagMaxSeconds: number;
  delivery: Delivery;
}

/**
 * A fleet reconnecting with a backlog: the newest batch first (a fresh cycle), then every agent
 * replays its backlog oldest first, `window` in flight, while fresh cycles go on every period.
 * How fast it drains, what it costs, and whether fresh data waited behind it.
 */
export async function measureReplay(name: RelayName, options: ReplayOptions): Promise<ReplayRun> {
  const { agents, series, periodMs, backlogBatches, log } = options;
  const relay = await startRelay(name, agents);
  let fleet: Fleet | undefined;
  let driver: CycleDriver | undefined;
  try {
    fleet = (await Fleet.start({ target: relay.protocol, port: relay.port, agents, series, workers: agents >= 2000 ? 2 : 1, pushConnections: 64, lifetimeMs: 60 * 60_000, backlogBatches })).fleet;
    driver = new CycleDriver(fleet, () => cpuSeconds(relay.system.pid), periodMs, options.maxCycleMs);
    await driver.waitForCycles(1);
    const newestMs = driver.starts[0]!.at;
    const cpuAtStart = cpuSeconds(relay.system.pid);
    log(`  ${name}: replaying ${backlogBatches} batches x ${agents} agents (${((backlogBatches * agents * series) / 1e6).toFixed(1)} M samples), ${options.window} in flight per agent`);
    const lags: number[] = [];
    let replaying = true;
    const replay = fleet.replay({ newestMs, periodMs, window: options.window, retryDelayMs: options.retryDelayMs }, options.maxMs).finally(() => (replaying = false));
    const polling = (async () => {
      while (replaying) {
        const newest = await relay.receiver.scalar('min(timestamp(node_load1))').catch(() => NaN);
        if (Number.isFinite(newest) && newest > 0) lags.push(Date.now() / 1000 - newest);
        for (let i = 0; i < 10 && replaying; i++) await sleep(500);
      }
    })();
    const result = await replay;
    await polling;
    const cpuAtEnd = cpuSeconds(relay.system.pid);
    const { peakRssBytes } = memory(relay.system.pid);
    await driver.stop();
    const during = driver.cycles.filter((c) => c.startedAt >= result.startedAt && c.startedAt < result.finishedAt);
    const latencies = during.flatMap((c) => c.latenciesMs);
    const expected = result.samples + driver.cycles.reduce((n, c) => n + c.samples, 0);
    const delivery = await awaitDelivery(relay.receiver, expected, { settleMs: 30_000, boundMs: options.maxMs });
    const ackedSeconds = (result.finishedAt - result.startedAt) / 1000;
    const run: ReplayRun = {
      relay: name, agents, series, periodMs, backlogBatches, window: options.window,
      drained: !result.aborted && result.failed === 0 && result.batches === agents * backlogBatches,
      replay: result,
      ackedSeconds,
      ackedSamplesPerSecond: result.samples / ackedSeconds,
      inReceiverSeconds: delivery.found >= expected ? (delivery.settledAt - result.startedAt) / 1000 : NaN,
      cpuMicrosecondsPerSample: ((cpuAtEnd - cpuAtStart) / result.samples) * 1e6,
      peakRssBytes,
      fresh: {
        cycles: during.length,
        keptUp: during.filter((c) => c.durationMs <= periodMs * 1.05 && c.failed === 0).length,
        ackP50Ms: median(latencies),
        ackP99Ms: percentile(latencies, 99),
        ackMaxMs: Math.max(...latencies),
        failed: during.reduce((n, c) => n + c.failed, 0),
      },
      freshBeforeAckP50Ms: median(driver.cycles[0]!.latenciesMs),
      receiverLagMedianSeconds: median(lags),
      receiverLagMaxSeconds: lags.length === 0 ? NaN : Math.max(...lags),
      delivery,
    };
    log(`  ${name}: ${run.drained ? 'drained' : 'NOT drained'} in ${ackedSeconds.toFixed(1)} s (${Math.round(run.ackedSamplesPerSecond).toLocaleString('en')} samples/s, ` +
      `${result.retries} retry-later); fresh ack p50 ${run.fresh.ackP50Ms.toFixed(0)} ms p99 ${run.fresh.ackP99Ms.toFixed(0)} ms over ${during.length} cycles; ` +
      `receiver has ${delivery.found} of ${expected}`);
    return run;
  } finally {
    await driver?.stop();
    await fleet?.stop();
    await relay.stop();
  }
}
