import type { Agent } from 'node:http';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { sendText } from './http-push.js';
import type { OldBatch } from './protocol-agent.js';
import { renderText } from './render-text.js';

/**
 * One simulated agent pushing to vmagent's `POST /api/v1/import/prometheus`: Prometheus text
 * with the collection time on every sample, and the agent's identity as `extra_label`s (what
 * the bridge adds to the series it writes: instance and job).
 */
export class VmImportAgent {
  private readonly path: string;

  constructor(
    readonly id: string,
    private readonly host: string,
    private readonly port: number,
    private readonly pool: Agent,
    job = 'fleetpulse',
  ) {
    this.path = `/api/v1/import/prometheus?${new URLSearchParams([['extra_label', `instance=${id}`], ['extra_label', `job=${job}`]])}`;
  }

  /** vmagent answers 204 once the rows are in its queue: that is its acknowledgement. */
  async push(families: MetricFamily[], old?: OldBatch): Promise<number> {
    await sendText({ host: this.host, port: this.port, pool: this.pool, who: this.id }, 'POST', this.path, renderText(families, old?.timestampMs ?? Date.now()), [204]);
    return families.reduce((n, f) => n + f.samples.length, 0);
  }

  /** No seqs over HTTP: a backlog is told apart by its timestamps alone. */
  reserveSeqs(count: number): number {
    return 1 - count;
  }

  close(): void {}
}
