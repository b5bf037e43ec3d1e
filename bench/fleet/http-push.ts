import { Agent, request } from 'node:http';

/** Shared keep-alive pool: the receiver gets warm connections, no TCP setup per push. */
export function pushPool(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/** Sends Prometheus text; resolves on one of the `ok` statuses, rejects with the answer otherwise. */
export function sendText(target: { host: string; port: number; pool: Agent; who: string }, method: 'PUT' | 'POST', path: string, body: string, ok: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.host, port: target.port, method, path, agent: target.pool, headers: { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let answer = '';
        res.on('data', (c: Buffer) => (answer += c.toString()));
        res.on('end', () => (ok.includes(res.statusCode ?? 0) ? resolve() : reject(new Error(`${target.who}: HTTP ${res.statusCode} ${answer.slice(0, 200)}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
