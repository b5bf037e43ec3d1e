import type { RelayName } from './systems/relay.js';
import type { TargetName } from './systems/target.js';

export interface BenchOptions {
  agents: number[];
  series: number;
  periodMs: number;
  targets: TargetName[];
  /** Cycles before measuring; the first one fills the target. */
  warmCycles: number;
  measuredCycles: number;
  gzipScrapes: number;
  plainScrapes: number;
  probes: number;
  /** A cycle taking longer than this is cut short and the target reported as unable to keep up. */
  maxCycleMs: number;
  /** Fleet size at which a real Prometheus scrapes each target; undefined = never. */
  prometheusAgents: number | undefined;
  prometheusIntervalSeconds: number;
  prometheusScrapes: number;
  saturationAgents: number | undefined;
  /** First period of the saturation ramp, halved from there. */
  saturationStartMs: number;
  /** Fleet size of the 1-series floor run; undefined = skip it. */
  floorAgents: number | undefined;
  /** undefined = skip the agent footprint. */
  footprintWindowMs: number | undefined;
  footprintIntervalMs: number;
  /** From starting the agents to the footprint window (one-off start-up costs kept out). */
  footprintStartupMs: number;
  promtoolMaxSeries: number;
  outDir: string;
  /** Name of the result files (without extension). */
  name: string;
  mode: 'full' | 'quick' | 'smoke';
  /** scale: the targets above (the default run); remote-write: the relays below into VictoriaMetrics. */
  phase: 'scale' | 'remote-write';
  remoteWrite: RemoteWriteOptions;
}

export interface RemoteWriteOptions {
  relays: RelayName[];
  /** Alternating runs of every relay (their medians are reported). */
  runs: number;
  /** Minutes of backlog each agent replays; undefined = no replay. */
  backlogMinutes: number | undefined;
  replayWindow: number;
  replayMaxMs: number;
}

export const USAGE = `npm run bench -- [options]

  --quick                fewer scrapes and cycles (about half the time of a full run)
  --smoke                about 30 s: 20 agents x 50 series, 0.5 s period (what npm test runs)
  --agents 100,1000      fleet sizes (default 100,1000,5000)
  --series 200           series per agent
  --period 5000          push period in ms
  --targets fleetpulse,pushgateway-nocheck,pushgateway
  --no-prometheus        skip the real-Prometheus comparison
  --prometheus-agents N  fleet size for it (default 1000)
  --no-saturation        skip the ingest saturation ramp
  --saturation-agents N  fleet size for it (default 1000)
  --no-footprint         skip agent vs node_exporter
  --no-floor             skip the 1000 agents x 1 series run (what the protocol alone costs)
  --footprint-window 60  seconds
  --max-cycle 60         seconds a cycle may take before the target "could not keep up"
  --out bench/results    where <date>.md, <date>.json and <date>.svg go
  --from-json FILE       write the markdown and chart again from a run's JSON (use with --out, --name)

  --phase remote-write   instead: the bridge relaying to VictoriaMetrics by remote_write, side by side with
                         vmagent fed the same data; writes <date>-remote-write.{md,json}. Takes --agents N
                         (one size, default 1000), --series, --period, --max-cycle, --quick, --smoke, and:
  --relays fleetpulse,vmagent
  --runs 3               alternating runs of each relay (medians reported)
  --backlog 15           minutes of backlog every agent replays after the runs
  --no-replay            skip the backlog replay
  --replay-window 2      backlog batches in flight per agent
  --replay-max 900       seconds the replay may take before it is cut off
`;

const TARGETS: TargetName[] = ['fleetpulse', 'pushgateway-nocheck', 'pushgateway'];
const RELAYS: RelayName[] = ['fleetpulse', 'vmagent'];

export function parseOptions(argv: string[], today: string): BenchOptions {
  const options: BenchOptions = {
    agents: [100, 1000, 5000],
    series: 200,
    periodMs: 5000,
    targets: TARGETS,
    warmCycles: 2,
    measuredCycles: 3,
    gzipScrapes: 5,
    plainScrapes: 2,
    probes: 3,
    maxCycleMs: 60_000,
    prometheusAgents: 1000,
    prometheusIntervalSeconds: 15,
    prometheusScrapes: 4,
    saturationAgents: 1000,
    saturationStartMs: 2000,
    floorAgents: 1000,
    footprintWindowMs: 60_000,
    footprintIntervalMs: 5000,
    footprintStartupMs: 20_000,
    promtoolMaxSeries: 250_000,
    outDir: 'bench/results',
    name: today,
    mode: 'full',
    phase: 'scale',
    remoteWrite: { relays: RELAYS, runs: 3, backlogMinutes: 15, replayWindow: 2, replayMaxMs: 900_000 },
  };
  let agentsGiven = false;
  let nameGiven = false;
  const args = [...argv];
  const value = (flag: string): string => {
    const v = args.shift();
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const int = (flag: string): number => {
    const n = Number(value(flag));
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number`);
    return n;
  };
  while (args.length > 0) {
    const flag = args.shift()!;
    switch (flag) {
      case '--quick':
        Object.assign(options, { mode: 'quick', measuredCycles: 2, gzipScrapes: 3, plainScrapes: 1, probes: 2, prometheusScrapes: 3 });
        break;
      case '--smoke':
        Object.assign(options, {
          mode: 'smoke', agents: [20], series: 50, periodMs: 500, warmCycles: 1, measuredCycles: 2, gzipScrapes: 2, plainScrapes: 1, probes: 1,
          maxCycleMs: 20_000, prometheusAgents: 20, prometheusIntervalSeconds: 1, prometheusScrapes: 2, saturationAgents: 20, saturationStartMs: 200,
          footprintWindowMs: 2000, footprintIntervalMs: 500, footprintStartupMs: 0, targets: ['fleetpulse', 'pushgateway-nocheck'], floorAgents: undefined,
        });
        Object.assign(options.remoteWrite, { runs: 1, backlogMinutes: 0.25, replayMaxMs: 60_000 });
        break;
      case '--agents':
        agentsGiven = true;
        options.agents = value(flag).split(',').map((s) => {
          const n = Number(s);
          if (!Number.isInteger(n) || n < 1) throw new Error(`--agents: ${s} is not a positive whole number`);
          return n;
        });
        break;
      case '--series': options.series = int(flag); break;
      case '--period': options.periodMs = int(flag); break;
      case '--targets':
        options.targets = value(flag).split(',').map((t) => {
          if (!(TARGETS as string[]).includes(t)) throw new Error(`--targets: ${t} is not one of ${TARGETS.join(', ')}`);
          return t as TargetName;
        });
        break;
      case '--no-prometheus': options.prometheusAgents = undefined; break;
      case '--prometheus-agents': options.prometheusAgents = int(flag); break;
      case '--no-saturation': options.saturationAgents = undefined; break;
      case '--saturation-agents': options.saturationAgents = int(flag); break;
      case '--no-footprint': options.footprintWindowMs = undefined; break;
      case '--no-floor': options.floorAgents = undefined; break;
      case '--footprint-window': options.footprintWindowMs = int(flag) * 1000; break;
      case '--max-cycle': options.maxCycleMs = int(flag) * 1000; break;
      case '--out': options.outDir = value(flag); break;
      case '--name': options.name = value(flag); nameGiven = true; break;
      case '--phase': {
        const phase = value(flag);
        if (phase !== 'scale' && phase !== 'remote-write') throw new Error(`--phase: ${phase} is not one of scale, remote-write`);
        options.phase = phase;
        break;
      }
      case '--relays':
        options.remoteWrite.relays = value(flag).split(',').map((r) => {
          if (!(RELAYS as string[]).includes(r)) throw new Error(`--relays: ${r} is not one of ${RELAYS.join(', ')}`);
          return r as RelayName;
        });
        break;
      case '--runs': options.remoteWrite.runs = Math.max(1, int(flag)); break;
      case '--backlog': {
        const minutes = Number(value(flag));
        if (!(minutes > 0)) throw new Error('--backlog needs a positive number of minutes');
        options.remoteWrite.backlogMinutes = minutes;
        break;
      }
      case '--no-replay': options.remoteWrite.backlogMinutes = undefined; break;
      case '--replay-window': options.remoteWrite.replayWindow = Math.max(1, int(flag)); break;
      case '--replay-max': options.remoteWrite.replayMaxMs = int(flag) * 1000; break;
      case '--from-json': value(flag); break; // handled by run.ts
      case '--help': case '-h': throw new HelpRequested();
      default: throw new Error(`unknown option ${flag}\n\n${USAGE}`);
    }
  }
  if (options.phase === 'remote-write') {
    if (!agentsGiven && options.mode !== 'smoke') options.agents = [1000];
    if (options.agents.length !== 1) throw new Error('--phase remote-write takes one fleet size (--agents N)');
    if (!nameGiven) options.name = `${today}-remote-write`;
  }
  return options;
}

export class HelpRequested extends Error {}
