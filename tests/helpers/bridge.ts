import { defaultBridgeOptions } from '../../src/config/build-options.js';
import { createLogger } from '../../src/log.js';
import type { IngestLimits } from '../../src/server/ingest/ingest-limits.js';
import { Bridge } from '../../src/server/bridge.js';
import type { BridgeOptions } from '../../src/server/options.js';

export interface TestBridge {
  bridge: Bridge;
  ingestPort: number;
  httpPort: number;
  url: string;
  stop(): Promise<void>;
}

/** The intake's limits at the settings' defaults. */
export function defaultIngestLimits(): IngestLimits {
  return defaultBridgeOptions(createLogger('error'));
}

/** A real bridge on free loopback ports, quiet unless FLEETPULSE_TEST_LOG is set. */
export async function startTestBridge(overrides: Partial<BridgeOptions> = {}): Promise<TestBridge> {
  const bridge = new Bridge({
    ...defaultBridgeOptions(createLogger((process.env.FLEETPULSE_TEST_LOG as 'debug' | undefined) ?? 'error')),
    bindHost: '127.0.0.1',
    ingestPort: 0,
    httpPort: 0,
    // Tasks and known agents in memory only; departed agents listed as long as lost ones.
    dataDir: undefined,
    departedForgetMs: undefined,
    // Fewer slots than a production bridge, so tests that fill them stay small.
    maxConnections: 100,
    maxHandshakes: 64,
    // Test agents are on loopback, which peers never dial unless allowed.
    probeNetworks: ['127.0.0.0/8', '::1/128'],
    // Fast enough for tests that wait for a hello timeout or a heartbeat.
    helloTimeoutMs: 2000,
    heartbeatMs: 5000,
    forgetMs: 60_000,
    ...overrides,
  });
  const { ingestPort, httpPort } = await bridge.start();
  return { bridge, ingestPort, httpPort, url: `http://127.0.0.1:${httpPort}`, stop: () => bridge.stop() };
}
