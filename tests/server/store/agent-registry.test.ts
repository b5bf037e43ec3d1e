import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../../src/log.js';
import type { AgentHello } from '../../../src/server/store/agent-record.js';
import { AgentRegistry } from '../../../src/server/store/agent-registry.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import type { KnownAgent } from '../../../src/server/store/known-agent.js';
import { decodeRegistry, encodeRegistry } from '../../../src/server/store/registry-file.js';
import { startTestBridge } from '../../helpers/bridge.js';
import { getJson, getText } from '../../helpers/http.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// <data dir>/agents.json: what a restarted bridge reads back, and what it does with a bad file.

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-registry-'));
  dirs.push(dir);
  return dir;
}

function hello(id: string): AgentHello {
  return { id, address: '10.0.0.7', agentVersion: '0.1.0', protocol: 1, labels: { role: 'web' }, intervalMs: 5000 };
}

function run(path: string | undefined, timers = new ManualTimers()) {
  const store = new AgentStore({ graceMs: undefined, forgetMs: 3_600_000, maxSeriesPerAgent: 100, timers });
  const counts = { corrupt: 0, writeFailed: 0 };
  const logged: string[] = [];
  const registry = new AgentRegistry(path, store, timers, { corrupt: () => counts.corrupt++, writeFailed: () => counts.writeFailed++ }, createLogger('info', {}, (l) => void logged.push(l)));
  return { store, registry, counts, logged, timers };
}

const known = (over: Partial<KnownAgent> = {}): KnownAgent => ({
  id: 'a', labels: { role: 'web' }, address: '10.0.0.7', agentVersion: '0.1.0', protocol: 1, intervalMs: 5000,
  state: 'down', connectedSince: 1_700_000_000_000, lastSeen: 1_700_000_001_000, disconnectedAt: 1_700_000_001_000, ...over,
});

describe('agent registry file', () => {
  it('a second run restores what the first wrote: the lost agent and the one still connected are down', async () => {
    const path = join(await tempDir(), 'data', 'agents.json');
    const first = run(path);
    await first.registry.start();
    const lease = first.store.connect(hello('lost'));
    first.store.connect(hello('live'));
    first.timers.advance(1000);
    first.store.disconnect('lost', lease);
    await first.registry.flushed();
    // No close(): the first bridge was killed.
    const onDisk = decodeRegistry(await readFile(path, 'utf8'));
    assert.deepEqual(onDisk.map((a) => [a.id, a.state]).sort(), [['live', 'connected'], ['lost', 'down']]);

    const second = run(path, new ManualTimers(first.timers.now() + 60_000));
    await second.registry.start();
    assert.deepEqual(second.store.list().map((a) => [a.id, a.state, a.labels.role]), [['live', 'down', 'web'], ['lost', 'down', 'web']]);
    assert.ok(second.logged.some((l) => l.includes('agents restored from the registry') && l.includes('restored=2')), second.logged.join(''));
    await second.registry.close();
    assert.deepEqual(decodeRegistry(await readFile(path, 'utf8')).map((a) => a.state), ['down', 'down']);
  });

  for (const [what, text] of [
    ['cut short', '{"format":1,"written_at_ms":1,"agents":[\n{"id":"a"'],
    ['an agent id no hello could have', encodeRegistry([known({ id: '../../etc' })], 1).text],
    ['a reserved label', encodeRegistry([known({ labels: { instance: 'other' } })], 1).text],
    ['an unknown state', encodeRegistry([known()], 1).text.replace('"down"', '"zombie"')],
    ['an agent listed twice', encodeRegistry([known(), known()], 1).text],
  ] as const) {
    it(`a file with ${what} is moved aside, counted and logged; the run starts without it and writes a good one`, async () => {
      const dir = await tempDir();
      const path = join(dir, 'agents.json');
      await writeFile(path, text);
      const r = run(path);
      await r.registry.start();
      assert.equal(r.store.size, 0);
      assert.equal(r.counts.corrupt, 1);
      assert.deepEqual(await readdir(dir), ['agents.json.corrupt']);
      assert.equal(await readFile(`${path}.corrupt`, 'utf8'), text, 'the bad file is kept as it was');
      const line = r.logged.find((l) => l.includes('agent registry is corrupt'));
      assert.ok(line?.includes(`${path}.corrupt`), r.logged.join(''));
      await r.registry.flushed();
      assert.deepEqual(decodeRegistry(await readFile(path, 'utf8')), []);
      assert.deepEqual((await readdir(dir)).sort(), ['agents.json', 'agents.json.corrupt']);
      await r.registry.close();
    });
  }

  it('the temp files of a write a kill interrupted are removed at start; the file and other files stay', async () => {
    const dir = await tempDir();
    const path = join(dir, 'agents.json');
    await writeFile(path, encodeRegistry([known()], 1).text);
    // What writeFileAtomic leaves when the bridge is killed between open and rename (twice).
    await writeFile(join(dir, '.agents.json.tmp-0badc0de'), '{"format":1,"writ');
    await writeFile(join(dir, '.agents.json.tmp-12345678'), '');
    await writeFile(join(dir, '.notes.txt.tmp-0badc0de'), 'not ours');
    const r = run(path);
    await r.registry.start();
    assert.deepEqual((await readdir(dir)).sort(), ['.notes.txt.tmp-0badc0de', 'agents.json']);
    assert.deepEqual(r.store.list().map((a) => a.id), ['a'], 'the previous version was read');
    assert.ok(r.logged.some((l) => l.includes('removed temp files of an interrupted registry write') && l.includes('.agents.json.tmp-0badc0de')), r.logged.join(''));
    await r.registry.close();
  });

  it('a write that fails is counted and logged once; the store goes on', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'not-a-dir'), '');
    const r = run(join(dir, 'not-a-dir', 'agents.json'));
    await r.registry.start();
    r.store.connect(hello('a'));
    await r.registry.flushed();
    r.store.connect(hello('b'));
    await r.registry.flushed();
    assert.equal(r.counts.writeFailed, 2);
    assert.equal(r.logged.filter((l) => l.includes('agent registry cannot be written')).length, 1, r.logged.join(''));
    assert.equal(r.store.size, 2);
    await r.registry.close();
  });

  it('stops at the byte limit, keeping the agents given first', () => {
    const agents = ['a', 'b', 'c'].map((id) => known({ id }));
    const whole = encodeRegistry(agents, 1);
    assert.equal(whole.kept, 3);
    const cut = encodeRegistry(agents, 1, whole.text.length - 10);
    assert.equal(cut.kept, 2);
    assert.deepEqual(decodeRegistry(cut.text).map((a) => a.id), ['a', 'b']);
  });
});

describe('bridge with an agent registry', () => {
  it('lists an agent from agents.json as down on /api/agents and /metrics, and counts a corrupt file at 0', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'agents.json'), encodeRegistry([known({ id: 'web-9', lastSeen: Date.now() - 1000, disconnectedAt: Date.now() - 1000 })], Date.now()).text);
    const t = await startTestBridge({ dataDir });
    try {
      const { data } = await getJson<{ data: { id: string; connected: boolean; state: string }[] }>(`${t.url}/api/agents`);
      assert.deepEqual(data.map((a) => [a.id, a.connected, a.state]), [['web-9', false, 'down']]);
      const text = (await getText(`${t.url}/metrics`)).text;
      assert.match(text, /^fleetpulse_agent_up\{instance="web-9",role="web"\} 0$/m);
      assert.match(text, /^fleetpulse_bridge_agent_registry_corrupt_total 0$/m);
      assert.match(text, /^fleetpulse_bridge_agent_registry_write_failures_total 0$/m);
    } finally {
      await t.stop();
    }
  });
});
