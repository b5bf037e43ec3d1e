import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_BUNDLE, AGENT_ENV, agentNodeFlags } from '../../src/agent/node-flags.js';
import { sleep } from '../fleet/cycle-driver.js';
import { cpuSeconds, memory } from '../measure/proc-stats.js';
import { countSeries, scrape } from '../measure/scrape.js';
import { startBridge } from '../systems/bridge.js';
import { freePort, startSystem, type System } from '../systems/child.js';
import { startNodeExporter } from '../systems/node-exporter.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The file the image and the systemd unit run, built from the sources by buildAgentBundle(). */
export const FOOTPRINT_AGENT_BUNDLE = join(ROOT, 'dist', AGENT_BUNDLE);

/** Builds dist/ bundles (scripts/bundle.mjs) so that the agent measured is the current source's. */
export function buildAgentBundle(): void {
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), '--outdir', join(ROOT, 'dist')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/bundle.mjs failed:\n${built.stdout}${built.stderr}`);
}

/** Environment of the measured agents (both rows: they differ in node flags only), as deployed. */
export const FOOTPRINT_AGENT_ENV: Readonly<Record<string, string>> = AGENT_ENV;

/** Arguments to `node` for the measured agent: the deployed bundle under `nodeFlags`. */
export function footprintAgentArgs(nodeFlags: readonly string[]): string[] {
  return [...nodeFlags, FOOTPRINT_AGENT_BUNDLE, 'agent'];
}

export interface Footprint {
  rssBytes: number;
  peakRssBytes: number;
  /** Absent in results recorded before it was measured. */
  anonBytes?: number;
  cpuSeconds: number;
  /** Collections (ours) or scrapes (node_exporter) in the window. */
  rounds: number;
  cpuSecondsPerRound: number;
  series: number;
}

export interface AgentFootprint {
  intervalMs: number;
  windowSeconds: number;
  /** From starting the agents to the window (absent before 2026-11-30: after 2 collections, ~5-10 s). */
  warmUpSeconds?: number;
  /** Run as deployed: `node ${agentNodeFlags()} dist/${AGENT_BUNDLE} agent` (Dockerfile.agent, deploy/systemd). */
  agent: Footprint;
  /** Absent in results recorded before the agent was deployed with node flags. */
  nodeFlags?: readonly string[];
  /** The file run, relative to the repository (absent before 2026-11-30: dist/cli.js). */
  agentFile?: string;
  /** The same agent under a plain `node`, for the flags' effect (absent in older results). Before 2026-11-30 both ran dist/cli.js. */
  agentPlainNode?: Footprint;
  nodeExporter: Footprint | { skipped: string };
}

interface RunningAgent {
  system: System;
  id: string;
  statusFile: string;
}

/**
 * Our agent (pushing to a bridge every intervalMs), once as deployed and once under a plain
 * `node`, next to node_exporter (scraped every intervalMs with gzip, as Prometheus does), all
 * on the same host over the same window.
 */
export async function measureAgentFootprint(intervalMs: number, windowMs: number, log: (line: string) => void, startupMs = 20_000): Promise<AgentFootprint> {
  buildAgentBundle();
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-agent-'));
  const bridge = await startBridge(10);
  const systems: System[] = [bridge];
  const startAgent = async (id: string, nodeFlags: readonly string[]): Promise<RunningAgent> => {
    const statusFile = join(dir, `${id}.status.json`);
    const system = await startSystem(`fleetpulse agent (${id})`, process.execPath, footprintAgentArgs(nodeFlags), bridge.apiUrl, {
      ...FOOTPRINT_AGENT_ENV,
      PATH: process.env.PATH,
      FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`,
      FLEETPULSE_AGENT_ID: id,
      FLEETPULSE_INTERVAL: `${intervalMs}ms`,
      FLEETPULSE_STATUS_FILE: statusFile,
      FLEETPULSE_LOG_LEVEL: 'warn',
      // Two agents on one host: each its own probe port.
      FLEETPULSE_PROBE_PORT: String(await freePort()),
    });
    systems.push(system);
    return { system, id, statusFile };
  };
  try {
    const agentsStarted = Date.now();
    const deployed = await startAgent('bench-footprint', agentNodeFlags());
    const plain = await startAgent('bench-footprint-plain-node', []);
    let exporter: Awaited<ReturnType<typeof startNodeExporter>> | undefined;
    let skipped: string | undefined;
    try {
      exporter = await startNodeExporter();
      systems.push(exporter);
    } catch (err) {
      skipped = (err as Error).message;
    }
    const collections = (agent: RunningAgent): number => {
      try {
        return (JSON.parse(readFileSync(agent.statusFile, 'utf8')) as { collections: number }).collections;
      } catch {
        return 0;
      }
    };
    // Warm up: start-up and the first rounds (JIT, first connection) are not steady state, nor
    // are V8's memory-reducer GCs: three full collections 8-10 s after start (its fixed 8 s
    // delay), 15-20 ms each under --lite-mode, once in the process's life. Inside a 60 s window
    // they added ~4 ms to every collection (2026-11-30-issue12-footprint.md). node_exporter is
    // scraped throughout, as Prometheus would, and gets the same start-up allowance.
    const warmDeadline = Date.now() + 30_000;
    while ((collections(deployed) < 2 || collections(plain) < 2) && Date.now() < warmDeadline) await sleep(100);
    const warmUntil = agentsStarted + startupMs;
    for (let i = 0; i < 2 || Date.now() < warmUntil; i++) {
      if (exporter) await scrape(exporter.metricsUrl, { gzip: true });
      if (i >= 1) await sleep(Math.min(intervalMs, warmUntil - Date.now()));
    }
    const agents = [deployed, plain].map((agent) => ({ agent, cpu0: cpuSeconds(agent.system.pid), collections0: collections(agent) }));
    const exporterCpu0 = exporter ? cpuSeconds(exporter.pid) : 0;
    const started = Date.now();
    let scrapes = 0;
    let exporterSeries = 0;
    while (Date.now() - started < windowMs) {
      const due = started + scrapes * intervalMs;
      await sleep(due - Date.now());
      if (exporter) {
        const s = await scrape(exporter.metricsUrl, { gzip: true, keepText: true });
        exporterSeries = countSeries(s.text!);
      }
      scrapes++;
    }
    await sleep(started + scrapes * intervalMs - Date.now());
    const [ours, oursPlain] = await Promise.all(
      agents.map(async ({ agent, cpu0, collections0 }): Promise<Footprint> => {
        const cpu = cpuSeconds(agent.system.pid) - cpu0;
        const rounds = collections(agent) - collections0;
        const view = (await (await fetch(`${bridge.apiUrl}/${agent.id}`)).json()) as { data: { series: number } };
        return { ...memory(agent.system.pid), cpuSeconds: cpu, rounds, cpuSecondsPerRound: cpu / rounds, series: view.data.series };
      }),
    );
    let theirs: AgentFootprint['nodeExporter'] = { skipped: skipped ?? 'not run' };
    if (exporter) {
      const cpu = cpuSeconds(exporter.pid) - exporterCpu0;
      theirs = { ...memory(exporter.pid), cpuSeconds: cpu, rounds: scrapes, cpuSecondsPerRound: cpu / scrapes, series: exporterSeries };
    }
    const describe = (f: Footprint): string => `${(f.cpuSecondsPerRound * 1000).toFixed(1)} ms CPU/collection, ${(f.rssBytes / 2 ** 20).toFixed(1)} MiB`;
    log(`  agent ${describe(ours!)} (plain node: ${describe(oursPlain!)}); ` +
      ('skipped' in theirs ? `node_exporter skipped: ${theirs.skipped}` : `node_exporter ${(theirs.cpuSecondsPerRound * 1000).toFixed(1)} ms CPU/scrape, ${(theirs.rssBytes / 2 ** 20).toFixed(1)} MiB`));
    return { intervalMs, windowSeconds: (Date.now() - started) / 1000, warmUpSeconds: (started - agentsStarted) / 1000, agent: ours!, nodeFlags: agentNodeFlags(), agentFile: `dist/${AGENT_BUNDLE}`, agentPlainNode: oursPlain!, nodeExporter: theirs };
  } finally {
    for (const system of systems.reverse()) await system.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
