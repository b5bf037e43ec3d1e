import { Agent, request } from 'node:http';
import type { MetricFamily } from '../../src/protocol/messages.js';
import type { OldBatch } from './protocol-agent.js';
import { renderText } from './render-text.js';

/** Where and how an HTTP push goes. */
export interface TextRoute {
  method: 'PUT' | 'POST';
  path: string;
  /** Statuses that mean the receiver took it. */
  ok: number[];
  /** Put the collection time on every sample line. */
  timestamps: boolean;
}

/** Pushgateway: `PUT /metrics/job/<job>/instance/<id>` replaces the agent's whole group, like our snapshots. */
export function pushgatewayRoute(id: string, job = 'fleetpulse_bench'): TextRoute {
  return { method: 'PUT', path: `/metrics/job/${job}/instance/${encodeURIComponent(id)}`, ok: [200, 202], timestamps: false };
}

/**
 * vmagent: `POST /api/v1/import/prometheus` with the collection time on every sample and the
 * agent's identity as `extra_label`s (what the bridge adds to the series it writes: instance and
 * job). It answers 204 once the rows are in its queue: that is its acknowledgement.
 */
export function vmImportRoute(id: string, job = 'fleetpulse'): TextRoute {
  return { method: 'POST', path: `/api/v1/import/prometheus?${new URLSearchParams([['extra_label', `instance=${id}`], ['extra_label', `job=${job}`]])}`, ok: [204], timestamps: true };
}

/** Shared keep-alive pool: the receiver gets warm connections, no TCP setup per push. */
export function pushPool(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/** One simulated agent pushing its snapshot as Prometheus text over HTTP. */
export class HttpTextAgent {
  constructor(
    readonly id: string,
    private readonly host: string,
    private readonly port: number,
    private readonly pool: Agent,
    private readonly route: TextRoute,
  ) {}

  /** Resolves with the samples sent once the receiver answered one of the route's ok statuses. */
  push(families: MetricFamily[], old?: OldBatch): Promise<number> {
    const body = renderText(families, this.route.timestamps ? old?.timestampMs ?? Date.now() : undefined);
    const samples = families.reduce((n, f) => n + f.samples.length, 0);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method: this.route.method, path: this.route.path, agent: this.pool, headers: { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let answer = '';
          res.on('data', (c: Buffer) => (answer += c.toString()));
          res.on('end', () => (this.route.ok.includes(res.statusCode ?? 0) ? resolve(samples) : reject(new Error(`${this.id}: HTTP ${res.statusCode} ${answer.slice(0, 200)}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** No seqs over HTTP: a backlog is told apart by its timestamps alone. */
  reserveSeqs(_count: number): number {
    return 0;
  }

  close(): void {}
}
