import type { Target } from '../fleet/worker-messages.js';
import { startBridge } from './bridge.js';
import type { System } from './child.js';
import { startVictoriaMetrics, type RunningVictoriaMetrics } from './victoria-metrics.js';
import { startVmagent } from './vmagent.js';

/** What takes the agents' pushes and writes them to a remote_write receiver. */
export type RelayName = 'fleetpulse' | 'vmagent';

export const RELAY_TITLES: Record<RelayName, string> = {
  fleetpulse: 'fleetpulse bridge (remote_write)',
  vmagent: 'vmagent (/api/v1/import/prometheus)',
};

export interface RunningRelay {
  name: RelayName;
  /** How the simulated agents talk to it. */
  protocol: Target;
  system: System;
  port: number;
  /** Its own fresh VictoriaMetrics: nothing else writes there, so its counts are this relay's. */
  receiver: RunningVictoriaMetrics;
  stop(): Promise<void>;
}

/**
 * A fresh VictoriaMetrics, then the relay writing to it: the bridge with
 * FLEETPULSE_REMOTE_WRITE_URL, or vmagent with -remoteWrite.url (defaults otherwise, as users run them).
 */
export async function startRelay(name: RelayName, maxAgents: number): Promise<RunningRelay> {
  const receiver = await startVictoriaMetrics();
  try {
    const system = name === 'fleetpulse'
      ? await startBridge(maxAgents, { FLEETPULSE_REMOTE_WRITE_URL: receiver.writeUrl })
      : await startVmagent(receiver.writeUrl);
    const port = 'ingestPort' in system ? system.ingestPort : system.port;
    return {
      name,
      protocol: name,
      system,
      port,
      receiver,
      async stop() {
        await system.stop();
        await receiver.stop();
      },
    };
  } catch (err) {
    await receiver.stop();
    throw err;
  }
}
