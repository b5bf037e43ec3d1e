import { freePort, startSystem, which, type System } from './child.js';

export interface RunningPushgateway extends System {
  port: number;
  metricsUrl: string;
}

export const PUSHGATEWAY = 'prometheus-pushgateway';

/** Debian's Pushgateway, in memory only (no persistence file), on a free loopback port. */
export async function startPushgateway(consistencyCheck: boolean): Promise<RunningPushgateway> {
  const binary = which(PUSHGATEWAY);
  if (!binary) throw new Error(`${PUSHGATEWAY} is not installed (apt-get install prometheus-pushgateway)`);
  const port = await freePort();
  const args = [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'];
  if (!consistencyCheck) args.push('--push.disable-consistency-check');
  const system = await startSystem(consistencyCheck ? 'pushgateway' : 'pushgateway-nocheck', binary, args, `http://127.0.0.1:${port}/-/ready`);
  return { ...system, port, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}
