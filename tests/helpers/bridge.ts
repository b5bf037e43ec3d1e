import { createLogger } from '../../src/log.js';
import { Bridge } from '../../src/server/bridge.js';
import type { BridgeOptions } from '../../src/server/options.js';

export interface TestBridge {
  bridge: Bridge;
  ingestPort: number;
  httpPort: number;
  url: string;
  stop(): Promise<void>;
}

/** A real bridge on free loopback ports, quiet unless FLEETPULSE_TEST_LOG is set. */
export async function startTestBridge(overrides: Partial<BridgeOptions> = {}): Promise<TestBridge> {
  const bridge = new Bridge({
    bindHost: '127.0.0.1',
    ingestPort: 0,
    httpPort: 0,
    token: undefined,
    maxLineBytes: 1024 * 1024,
    maxConnections: 100,
    maxHandshakes: 64,
    maxHandshakesPerSource: 32,
    authFailuresPerMinute: 10,
    maxSeriesPerAgent: 10_000,
    maxSeries: 5_000_000,
    maxBytesPerAgent: 8 * 1024 * 1024,
    maxMetricNameBytes: 256,
    maxLabelNameBytes: 128,
    maxLabelValueBytes: 4096,
    maxBatchAgeMs: 24 * 3_600_000,
    maxStaticLabelBytes: 4096,
    maxAgents: 20_000,
    maxGraceMs: 300_000,
    // Test agents are on loopback, which peers never dial unless allowed.
    probeNetworks: ['127.0.0.0/8', '::1/128'],
    helloTimeoutMs: 2000,
    heartbeatMs: 5000,
    graceMs: undefined,
    forgetMs: 60_000,
    log: createLogger((process.env.FLEETPULSE_TEST_LOG as 'debug' | undefined) ?? 'error'),
    ...overrides,
  });
  const { ingestPort, httpPort } = await bridge.start();
  return { bridge, ingestPort, httpPort, url: `http://127.0.0.1:${httpPort}`, stop: () => bridge.stop() };
}
