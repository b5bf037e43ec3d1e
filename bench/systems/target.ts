import { ProtocolAgent } from '../fleet/protocol-agent.js';
import { HttpTextAgent, pushPool, pushgatewayRoute } from '../fleet/http-text-agent.js';
import type { Target } from '../fleet/worker-messages.js';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { startBridge } from './bridge.js';
import type { System } from './child.js';
import { startPushgateway } from './pushgateway.js';

export type TargetName = 'fleetpulse' | 'pushgateway-nocheck' | 'pushgateway';

export const TARGET_TITLES: Record<TargetName, string> = {
  fleetpulse: 'fleetpulse bridge',
  'pushgateway-nocheck': 'Pushgateway --push.disable-consistency-check',
  pushgateway: 'Pushgateway (consistency check on)',
};

/** A system under test, seen the same way whichever it is. */
export interface RunningTarget {
  name: TargetName;
  protocol: Target;
  system: System;
  /** Where the fleet sends its data. */
  port: number;
  metricsUrl: string;
  /** host:port for Prometheus. */
  scrapeAddress: string;
  /** One extra agent pushing through the same path as the fleet. */
  probe(): Promise<{ push(families: MetricFamily[]): Promise<number>; close(): void }>;
  /** Matches the probe's marker sample with value v in /metrics text. */
  markerPattern(value: number): RegExp;
}

export const PROBE_ID = 'bench-probe';
export const MARKER = 'bench_probe_marker';

export async function startTarget(name: TargetName, maxAgents: number): Promise<RunningTarget> {
  const marker = (value: number) => new RegExp(`^${MARKER}\\{[^}]*instance="${PROBE_ID}"[^}]*\\} ${value}$`, 'm');
  if (name === 'fleetpulse') {
    const bridge = await startBridge(maxAgents);
    const address = new URL(bridge.metricsUrl).host;
    return {
      name,
      protocol: 'fleetpulse',
      system: bridge,
      port: bridge.ingestPort,
      metricsUrl: bridge.metricsUrl,
      scrapeAddress: address,
      async probe() {
        const agent = new ProtocolAgent(PROBE_ID, '127.0.0.1', bridge.ingestPort);
        await agent.connect();
        return agent;
      },
      markerPattern: marker,
    };
  }
  const gateway = await startPushgateway(name === 'pushgateway');
  return {
    name,
    protocol: 'pushgateway',
    system: gateway,
    port: gateway.port,
    metricsUrl: gateway.metricsUrl,
    scrapeAddress: `127.0.0.1:${gateway.port}`,
    probe: async () => new HttpTextAgent(PROBE_ID, '127.0.0.1', gateway.port, pushPool(1), pushgatewayRoute(PROBE_ID)),
    markerPattern: marker,
  };
}
