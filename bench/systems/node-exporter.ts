import { freePort, startSystem, which, type System } from './child.js';

export const NODE_EXPORTER = 'prometheus-node-exporter';

export interface RunningNodeExporter extends System {
  metricsUrl: string;
}

/** Debian's node_exporter with its default collectors, on a free loopback port. */
export async function startNodeExporter(): Promise<RunningNodeExporter> {
  const binary = which(NODE_EXPORTER);
  if (!binary) throw new Error(`${NODE_EXPORTER} is not installed (apt-get install prometheus-node-exporter)`);
  const port = await freePort();
  const system = await startSystem('node_exporter', binary, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], `http://127.0.0.1:${port}/`);
  return { ...system, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}
