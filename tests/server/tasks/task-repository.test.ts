import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TaskFileError, TaskRepository } from '../../../src/server/tasks/task-repository.js';
import type { Task } from '../../../src/server/tasks/task.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-tasks-'));
  dirs.push(dir);
  return join(dir, 'tasks');
}

const START = Date.parse('2030-01-01T09:00:00Z');
function sample(id = 't_00112233445566778899'): Task {
  return {
    id,
    name: 'mesh',
    description: 'all racks',
    type: 'latency',
    members: ['a', 'b'],
    startMs: START,
    endMs: START + 3600_000,
    periodSeconds: 60,
    options: { count: 10, interval_ms: 10 },
    createdAtMs: START - 1000,
    status: 'running',
    statusReason: null,
    lastRunAtMs: START,
    results: new Map([['a b', { src: 'a', dst: 'b', ok: true, atMs: START + 1500, reason: null, message: null, figures: { rtt_avg_seconds: 0.0012, loss_ratio: 0 } }]]),
  };
}

describe('TaskRepository', () => {
  it('saves a task as <dir>/<id>.json (mode 600) and loads it back the same', async () => {
    const dir = await tempDir();
    const repo = new TaskRepository(dir);
    await repo.save(sample());
    assert.deepEqual(await readdir(dir), ['t_00112233445566778899.json']);
    assert.equal((await stat(join(dir, 't_00112233445566778899.json'))).mode & 0o777, 0o600);
    const { tasks, ignored } = await new TaskRepository(dir).loadAll();
    assert.deepEqual(tasks, [sample()]);
    assert.deepEqual(ignored, []);
  });

  it('replaces the file atomically: a reader never sees a torn or empty file', async () => {
    const dir = await tempDir();
    const repo = new TaskRepository(dir);
    const task = sample();
    await repo.save(task);
    const path = join(dir, `${task.id}.json`);
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        JSON.parse(await readFile(path, 'utf8')); // throws on a partial file
        reads++;
      }
    })();
    for (let i = 0; i < 40; i++) {
      task.description = 'x'.repeat(i * 10);
      await repo.save(task);
    }
    writing = false;
    await reader;
    assert.ok(reads > 0);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).description, 'x'.repeat(390));
    assert.deepEqual(await readdir(dir), [`${task.id}.json`], 'no temp files left behind');
  });

  it('writes of one task land in call order, and a delete after a save wins', async () => {
    const dir = await tempDir();
    const repo = new TaskRepository(dir);
    const task = sample();
    const saves = [1, 2, 3].map((n) => repo.save({ ...task, description: `v${n}` }));
    await Promise.all(saves);
    assert.equal(JSON.parse(await readFile(join(dir, `${task.id}.json`), 'utf8')).description, 'v3');
    void repo.save(task);
    await repo.remove(task.id);
    await repo.save(task); // a late save of a deleted task does nothing
    assert.deepEqual(await readdir(dir), []);
  });

  it('moves a corrupt file aside to <name>.corrupt, says what is wrong, and loads the rest', async () => {
    const dir = await tempDir();
    await new TaskRepository(dir).save(sample());
    const good = JSON.parse(await readFile(join(dir, 't_00112233445566778899.json'), 'utf8'));
    const bad = join(dir, 't_ffffffffffffffffffff.json');
    const cases = [
      ['{"format":1, "id": ', /is not valid JSON/],
      ['[]', /is not a JSON object/],
      [JSON.stringify({ ...good, id: 't_ffffffffffffffffffff', period_seconds: 1 }), /period_seconds: must be a whole number/],
      [JSON.stringify(good), /id: "t_00112233445566778899" does not match the file name/],
    ] as const;
    for (const [i, [content, problem]] of cases.entries()) {
      await writeFile(bad, content);
      const { tasks, corrupt } = await new TaskRepository(dir).loadAll();
      assert.deepEqual(tasks.map((t) => t.id), ['t_00112233445566778899'], 'the good task still loads');
      assert.equal(corrupt.length, 1);
      assert.equal(corrupt[0]!.path, bad);
      assert.match(corrupt[0]!.problem, problem);
      // Earlier ones are never overwritten: .corrupt, then .corrupt.1, .corrupt.2 ...
      const movedTo = i === 0 ? `${bad}.corrupt` : `${bad}.corrupt.${i}`;
      assert.equal(corrupt[0]!.movedTo, movedTo);
      assert.equal(await readFile(movedTo, 'utf8'), content, 'kept byte for byte for the operator');
    }
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.json')), ['t_00112233445566778899.json'], 'nothing corrupt is left under a task name');
  });

  it('stops at a task file that cannot be read, naming it', async () => {
    const dir = await tempDir();
    await new TaskRepository(dir).save(sample());
    // A directory where the file should be: unreadable as a file even for root.
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 't_ffffffffffffffffffff.json'));
    await assert.rejects(new TaskRepository(dir).loadAll(), (err: Error) => err instanceof TaskFileError && /^task file .*t_ffffffffffffffffffff\.json cannot be read: EISDIR/.test(err.message));
  });

  it('skips files that are not task files, and clears temp files of interrupted writes', async () => {
    const dir = await tempDir();
    await new TaskRepository(dir).save(sample());
    await writeFile(join(dir, 'notes.txt'), 'hello');
    await writeFile(join(dir, '.t_00112233445566778899.json.tmp-0badc0de'), '{"torn');
    const { tasks, ignored } = await new TaskRepository(dir).loadAll();
    assert.equal(tasks.length, 1);
    assert.deepEqual(ignored, ['notes.txt']);
    assert.deepEqual((await readdir(dir)).sort(), ['notes.txt', 't_00112233445566778899.json']);
  });

  it('a missing directory is no tasks; without a directory nothing is written', async () => {
    assert.deepEqual(await new TaskRepository(join(await tempDir(), 'nope')).loadAll(), { tasks: [], ignored: [], corrupt: [] });
    const memory = new TaskRepository(undefined);
    await memory.save(sample());
    assert.deepEqual(await memory.loadAll(), { tasks: [], ignored: [], corrupt: [] });
  });
});
