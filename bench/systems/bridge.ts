import { fileURLToPath } from 'node:url';
import { bridgeNodeArgs } from '../../src/server/node-flags.js';
import { freePort, startSystem, type System } from './child.js';

// BENCH_BRIDGE_CLI=<other checkout>/dist/cli.js measures another build (e.g. before a change).
const CLI = process.env.BENCH_BRIDGE_CLI ?? fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface RunningBridge extends System {
  ingestPort: number;
  metricsUrl: string;
  apiUrl: string;
}

/** `fleetpulse server` from dist/, as a user runs it, on free loopback ports; `env` adds settings. */
export async function startBridge(maxAgents: number, env: Record<string, string> = {}): Promise<RunningBridge> {
  const ingestPort = await freePort();
  const httpPort = await freePort();
  // BENCH_BRIDGE_ENV="FLEETPULSE_REMOTE_WRITE_CONCURRENCY=4 FLEETPULSE_REMOTE_WRITE_FLUSH_INTERVAL=0s" tries other settings.
  const extraEnv = Object.fromEntries((process.env.BENCH_BRIDGE_ENV ?? '').split(' ').filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  const system = await startSystem('fleetpulse', process.execPath, benchBridgeArgs(CLI, process.env.BENCH_BRIDGE_NODE_ARGS), `http://127.0.0.1:${httpPort}/readyz`, {
    PATH: process.env.PATH,
    FLEETPULSE_BIND: '127.0.0.1',
    FLEETPULSE_INGEST_PORT: String(ingestPort),
    FLEETPULSE_HTTP_PORT: String(httpPort),
    FLEETPULSE_MAX_CONNECTIONS: String(maxAgents + 100),
    // Every simulated host connects from 127.0.0.1: lift the per-source handshake cap.
    FLEETPULSE_MAX_HANDSHAKES: String(maxAgents + 100),
    FLEETPULSE_MAX_HANDSHAKES_PER_SOURCE: String(maxAgents + 100),
    FLEETPULSE_LOG_LEVEL: 'warn',
    ...env,
    ...extraEnv,
  });
  return { ...system, ingestPort, metricsUrl: `http://127.0.0.1:${httpPort}/metrics`, apiUrl: `http://127.0.0.1:${httpPort}/api/agents` };
}

/**
 * `node` arguments of the measured bridge: as deployed (src/server/node-flags.ts), then `extra`
 * (BENCH_BRIDGE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the bridge under load;
 * a later V8 flag overrides an earlier one, so flag experiments go there too).
 */
export function benchBridgeArgs(cli: string, extra = ''): string[] {
  const deployed = bridgeNodeArgs(cli);
  const extraArgs = extra.split(' ').filter((a) => a !== '');
  const at = deployed.indexOf(cli);
  return [...deployed.slice(0, at), ...extraArgs, ...deployed.slice(at)];
}
