import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../fleet/cycle-driver.js';
import { cpuSeconds, memory } from '../measure/proc-stats.js';
import { countSeries, scrape } from '../measure/scrape.js';
import { startBridge } from '../systems/bridge.js';
import { startSystem, type System } from '../systems/child.js';
import { startNodeExporter } from '../systems/node-exporter.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const AGENT_ID = 'bench-footprint';

export interface Footprint {
  rssBytes: number;
  peakRssBytes: number;
  cpuSeconds: number;
  /** Collections (ours) or scrapes (node_exporter) in the window. */
  rounds: number;
  cpuSecondsPerRound: number;
  series: number;
}

export interface AgentFootprint {
  intervalMs: number;
  windowSeconds: number;
  agent: Footprint;
  nodeExporter: Footprint | { skipped: string };
}

/**
 * Our agent (pushing to a bridge every intervalMs) next to node_exporter (scraped every
 * intervalMs with gzip, as Prometheus does), on the same host over the same window.
 */
export async function measureAgentFootprint(intervalMs: number, windowMs: number, log: (line: string) => void): Promise<AgentFootprint> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-bench-agent-'));
  const statusFile = join(dir, 'status.json');
  const bridge = await startBridge(10);
  const systems: System[] = [bridge];
  try {
    const agent = await startSystem('fleetpulse agent', process.execPath, [CLI, 'agent'], bridge.apiUrl, {
      PATH: process.env.PATH,
      FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`,
      FLEETPULSE_AGENT_ID: AGENT_ID,
      FLEETPULSE_INTERVAL: `${intervalMs}ms`,
      FLEETPULSE_STATUS_FILE: statusFile,
      FLEETPULSE_LOG_LEVEL: 'warn',
    });
    systems.push(agent);
    let exporter: Awaited<ReturnType<typeof startNodeExporter>> | undefined;
    let skipped: string | undefined;
    try {
      exporter = await startNodeExporter();
      systems.push(exporter);
    } catch (err) {
      skipped = (err as Error).message;
    }
    const collections = (): number => {
      try {
        return (JSON.parse(readFileSync(statusFile, 'utf8')) as { collections: number }).collections;
      } catch {
        return 0;
      }
    };
    // Warm up: start-up and the first rounds (JIT, first connection) are not steady state.
    const warmDeadline = Date.now() + 30_000;
    while (collections() < 2 && Date.now() < warmDeadline) await sleep(100);
    if (exporter) for (let i = 0; i < 2; i++) await scrape(exporter.metricsUrl, { gzip: true });
    const agentCpu0 = cpuSeconds(agent.pid);
    const exporterCpu0 = exporter ? cpuSeconds(exporter.pid) : 0;
    const collections0 = collections();
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
    const agentCpu = cpuSeconds(agent.pid) - agentCpu0;
    const rounds = collections() - collections0;
    const view = (await (await fetch(`${bridge.apiUrl}/${AGENT_ID}`)).json()) as { data: { series: number } };
    const ours: Footprint = { ...memory(agent.pid), cpuSeconds: agentCpu, rounds, cpuSecondsPerRound: agentCpu / rounds, series: view.data.series };
    let theirs: AgentFootprint['nodeExporter'] = { skipped: skipped ?? 'not run' };
    if (exporter) {
      const cpu = cpuSeconds(exporter.pid) - exporterCpu0;
      theirs = { ...memory(exporter.pid), cpuSeconds: cpu, rounds: scrapes, cpuSecondsPerRound: cpu / scrapes, series: exporterSeries };
    }
    log(`  agent ${(ours.cpuSecondsPerRound * 1000).toFixed(1)} ms CPU/collection, ${(ours.rssBytes / 2 ** 20).toFixed(1)} MiB; ` +
      ('skipped' in theirs ? `node_exporter skipped: ${theirs.skipped}` : `node_exporter ${(theirs.cpuSecondsPerRound * 1000).toFixed(1)} ms CPU/scrape, ${(theirs.rssBytes / 2 ** 20).toFixed(1)} MiB`));
    return { intervalMs, windowSeconds: (Date.now() - started) / 1000, agent: ours, nodeExporter: theirs };
  } finally {
    for (const system of systems.reverse()) await system.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
