import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/log.js';
import { createHttpServer } from '../../../src/server/http/http-server.js';
import { tasksRoutes } from '../../../src/server/http/tasks-route.js';
import { TaskMetrics } from '../../../src/server/tasks/task-metrics.js';
import { TaskRepository } from '../../../src/server/tasks/task-repository.js';
import { TaskScheduler } from '../../../src/server/tasks/task-scheduler.js';

// /api/tasks while the bridge stops: its task files are flushed for the exit, so a change is
// refused with a 503 the client can retry, never half written.

const TOKEN = 'route-admin-token';
const server = (() => {
  const log = createLogger('error', {}, () => {});
  const link = { member: (id: string) => ({ id, known: true, connected: false }), send: () => false };
  const scheduler = new TaskScheduler(new TaskRepository(undefined), new TaskMetrics(new Registry()), link, log);
  const routes = tasksRoutes(scheduler, TOKEN);
  return {
    scheduler,
    http: createHttpServer({ exact: { '/api/tasks': routes.read }, withParam: { '/api/tasks': routes.read }, write: { POST: { exact: { '/api/tasks': routes.create } }, DELETE: { withParam: { '/api/tasks': routes.remove } } } }, log),
  };
})();
let base: string;

before(async () => {
  await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.http.address() as AddressInfo).port}/api/tasks`;
});
after(() => new Promise<void>((resolve) => server.http.close(() => resolve())));

const body = () => JSON.stringify({ name: 'mesh', type: 'latency', members: ['a', 'b'], start: new Date().toISOString(), end: new Date(Date.now() + 3600_000).toISOString(), period_seconds: 60 });
const send = (method: string, path = '') => fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: body() } : {}) });

describe('/api/tasks changes while the bridge stops', () => {
  it('are refused with 503 unavailable and Retry-After; reads still answer', async () => {
    const created = await send('POST');
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = ((await created.json()) as { data: { id: string } }).data;
    await server.scheduler.stop();
    for (const res of [await send('POST'), await send('DELETE', `/${id}`)]) {
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      const json = (await res.json()) as Record<string, unknown>;
      assert.equal(json.errorType, 'unavailable');
      assert.match(String(json.error), /the bridge is stopping; send this again once it is back/);
    }
    assert.equal((await send('DELETE', '/t_ffffffffffffffffffff')).status, 404, 'an unknown id is still not found');
    const list = (await (await fetch(base)).json()) as { data: { id: string }[] };
    assert.deepEqual(list.data.map((t) => t.id), [id], 'nothing was created or deleted');
  });
});
