import { Agent, request } from 'node:http';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { renderText } from './render-text.js';

/** Shared keep-alive pool: Pushgateway gets warm connections, no TCP setup per push. */
export function pushPool(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/**
 * One simulated agent pushing its snapshot to Pushgateway as its own group
 * (`PUT /metrics/job/<job>/instance/<id>`: replaces the whole group, like our snapshots).
 */
export class PushgatewayAgent {
  private readonly path: string;

  constructor(
    readonly id: string,
    private readonly host: string,
    private readonly port: number,
    private readonly pool: Agent,
    job = 'fleetpulse_bench',
  ) {
    this.path = `/metrics/job/${job}/instance/${encodeURIComponent(id)}`;
  }

  push(families: MetricFamily[]): Promise<number> {
    const body = renderText(families);
    const samples = families.reduce((n, f) => n + f.samples.length, 0);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method: 'PUT', path: this.path, agent: this.pool, headers: { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let answer = '';
          res.on('data', (c: Buffer) => (answer += c.toString()));
          res.on('end', () => (res.statusCode === 200 || res.statusCode === 202 ? resolve(samples) : reject(new Error(`${this.id}: HTTP ${res.statusCode} ${answer.slice(0, 200)}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {}
}
