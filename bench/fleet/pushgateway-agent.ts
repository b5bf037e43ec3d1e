import type { Agent } from 'node:http';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { sendText } from './http-push.js';
import { renderText } from './render-text.js';

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

  async push(families: MetricFamily[]): Promise<number> {
    await sendText({ host: this.host, port: this.port, pool: this.pool, who: this.id }, 'PUT', this.path, renderText(families), [200, 202]);
    return families.reduce((n, f) => n + f.samples.length, 0);
  }

  close(): void {}
}
