import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createLogger } from '../../../src/log.js';
import { TaskRepository } from '../../../src/server/tasks/task-repository.js';
import { startTestBridge } from '../../helpers/bridge.js';
import { getJson, getText } from '../../helpers/http.js';

// Hostile finding: a corrupt task file used to stop the bridge at start. Now it is moved aside,
// counted and logged with its path, and the bridge starts with the rest.

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

it('a bridge with a corrupt task file starts, serves the good task, and moves the bad one aside', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fp-corrupt-'));
  dirs.push(dataDir);
  const start = Date.now() + 3600_000;
  await new TaskRepository(join(dataDir, 'tasks')).save({
    id: 't_00112233445566778899', name: 'good', description: '', type: 'latency', members: ['a', 'b'],
    startMs: start, endMs: start + 3600_000, periodSeconds: 60, options: { count: 10, interval_ms: 10 },
    createdAtMs: Date.now(), status: 'scheduled', statusReason: null, lastRunAtMs: null, results: new Map(),
  });
  const bad = join(dataDir, 'tasks', 't_ffffffffffffffffffff.json');
  await writeFile(bad, '{"format":1,"id":"t_fff'); // a write cut short by a full disk
  const logged: string[] = [];
  const t = await startTestBridge({ dataDir, log: createLogger('error', {}, (line) => void logged.push(line)) });
  try {
    const tasks = await getJson<{ data: { id: string }[] }>(`${t.url}/api/tasks`);
    assert.deepEqual(tasks.data.map((task) => task.id), ['t_00112233445566778899']);
    assert.match((await getText(`${t.url}/metrics`)).text, /^fleetpulse_bridge_task_files_corrupt_total 1$/m);
    assert.deepEqual((await readdir(join(dataDir, 'tasks'))).sort(), ['t_00112233445566778899.json', 't_ffffffffffffffffffff.json.corrupt']);
    const line = logged.find((l) => l.includes('task file is corrupt'));
    assert.ok(line, 'logged');
    assert.ok(line.includes(bad) && line.includes(`${bad}.corrupt`), line);
  } finally {
    await t.stop();
  }
});
