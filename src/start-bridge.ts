import { bridgeOptions } from './config/build-options.js';
import type { SettingValues } from './config/settings.js';
import type { Logger } from './log.js';
import { formatHostPort } from './net/listen.js';
import type { Bridge, BridgeAddresses } from './server/bridge.js';
import type { BridgeOptions } from './server/options.js';

/** Starts a bridge from resolved settings (server and demo) and says where it listens and how agents get in. */
export async function startBridge(values: SettingValues, log: Logger, overrides: Partial<BridgeOptions> = {}): Promise<{ bridge: Bridge } & BridgeAddresses> {
  // Loaded only here: an agent never pays for the bridge's modules (prom-client among them).
  const { Bridge } = await import('./server/bridge.js');
  const bridge = new Bridge({ ...bridgeOptions(values, log.child({ component: 'bridge' })), ...overrides });
  const { ingestPort, httpPort, host } = await bridge.start();
  log.info('bridge listening', { ingest: formatHostPort(host, ingestPort), http: formatHostPort(host, httpPort), agent_link: bridge.agentLink.summary, web: `${bridge.httpFront.tls ? 'https' : 'http'}${bridge.httpFront.basicAuth ? ' with basic auth' : ''}` });
  if (bridge.agentLink.protectedMode) {
    log.warn('no agent authentication is configured: protected mode accepts agents only from loopback and private addresses', {
      fix: 'set FLEETPULSE_TOKEN, FLEETPULSE_AGENT_TOKENS_FILE or FLEETPULSE_TLS_CLIENT_CA (docs/security.md); FLEETPULSE_INSECURE=true accepts any address',
    });
  }
  return { bridge, ingestPort, httpPort, host };
}
