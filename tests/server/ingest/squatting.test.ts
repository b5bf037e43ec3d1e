import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectAll } from '../../../src/agent/collect-all.js';
import { createLoadavgCollector } from '../../../src/agent/collectors/loadavg.js';
import { createTextfileCollector } from '../../../src/agent/textfile/textfile-collector.js';
import { createLogger } from '../../../src/log.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { fixturePaths } from '../../agent/collectors/golden.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// Squatting (issue 10): the first sender of a family used to fix its TYPE and HELP, so one agent
// sending node_load1 as a counter made every real agent's node_load1 vanish. Known families now
// belong to the bridge: whoever comes first, the squatter is refused and the real agents stay.

let t: TestBridge;
const clients: LineClient[] = [];

before(async () => {
  t = await startTestBridge();
});

after(async () => {
  for (const c of clients) c.close();
  await t.stop();
});

async function agent(id: string): Promise<LineClient> {
  const c = await LineClient.connect(t.ingestPort);
  clients.push(c);
  c.hello(id);
  await c.waitFor((m) => m.type === 'welcome');
  return c;
}

let seq = 0;
/** Sends one batch and waits for its ack; returns the errors the bridge sent for it. */
async function push(c: LineClient, families: unknown[]): Promise<Record<string, unknown>[]> {
  const mine = ++seq;
  const errors: Record<string, unknown>[] = [];
  c.onMessage((m) => {
    if (m.type === 'error' && m.seq === mine) errors.push(m);
  });
  c.send({ type: 'metrics', seq: mine, timestamp_ms: Date.now(), families });
  await c.waitFor((m) => m.type === 'ack' && m.seq === mine);
  return errors;
}

async function metricsText(): Promise<string> {
  return (await getText(`${t.url}/metrics`)).text;
}

function rejected(text: string, reason: string): number {
  const m = new RegExp(`^fleetpulse_bridge_frames_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** What a real agent's loadavg collector sends (the fixture host's /proc/loadavg). */
async function realLoadavg(): Promise<MetricFamily[]> {
  return (await createLoadavgCollector(fixturePaths).collect(new AbortController().signal));
}

describe('squatting on known families, over real sockets', () => {
  it('a squatter sending node_load1 as a counter first is refused; real agents\' node_load1 is a gauge with the catalogue\'s HELP', async () => {
    const before = rejected(await metricsText(), 'type_conflict');
    const squatter = await agent('squatter');
    const errors = await push(squatter, [{ name: 'node_load1', type: 'counter', help: 'Owned by the squatter.', samples: [{ value: 1e9 }] }]);
    assert.equal(errors.length, 1, 'one error for the one family');
    assert.equal(errors[0]!.code, 'FP_TYPE_CONFLICT');
    assert.equal(errors[0]!.fatal, false, 'the squatter may go on sending its other families');
    assert.match(String(errors[0]!.message), /node_load1: sent as counter, but node_load1 is a gauge/);

    const real = [await agent('real-1'), await agent('real-2')];
    for (const c of real) assert.deepEqual(await push(c, await realLoadavg()), [], 'real agents\' batches are stored whole');
    // The squatter tries again now that the family has members: still refused.
    assert.equal((await push(squatter, [{ name: 'node_load1', type: 'counter', help: '', samples: [{ value: 2e9 }] }]))[0]?.code, 'FP_TYPE_CONFLICT');

    const text = await metricsText();
    assert.match(text, /^# HELP node_load1 1m load average\.\n# TYPE node_load1 gauge\n/m);
    assert.match(text, /^node_load1\{instance="real-1"\} 0\.21$/m);
    assert.match(text, /^node_load1\{instance="real-2"\} 0\.21$/m);
    assert.doesNotMatch(text, /^node_load1\{instance="squatter"\}/m);
    assert.match(text, /^fleetpulse_agent_series\{instance="squatter"\} 0$/m);
    assert.equal(rejected(text, 'type_conflict') - before, 2, 'each refusal counted');
    assert.equal(squatter.closed, false);
  });

  it('a known family\'s HELP is the catalogue\'s, whatever the sender wrote', async () => {
    const c = await agent('rewriter');
    assert.deepEqual(await push(c, [{ name: 'node_load5', type: 'gauge', help: 'Visit evil.example for free load.', samples: [{ value: 3 }] }]), []);
    const text = await metricsText();
    assert.match(text, /^# HELP node_load5 5m load average\.$/m);
    assert.doesNotMatch(text, /evil\.example/);
    assert.match(text, /^node_load5\{instance="rewriter"\} 3$/m);
  });

  it('a textfile impersonating a known family with another TYPE is refused; the file\'s other families and the textfile status arrive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-squat-textfile-'));
    try {
      // The agent's loadavg collector is off, so the agent itself does not stop the file.
      writeFileSync(join(dir, 'impostor.prom'), '# HELP node_load15 fake\n# TYPE node_load15 counter\nnode_load15 42\n# TYPE backup_last_success_seconds gauge\nbackup_last_success_seconds 1700000000\n');
      const textfile = createTextfileCollector({ dir, forbiddenLabels: new Set(['instance', 'job']), log: createLogger('error') });
      const { families } = await collectAll([textfile], { timeoutMs: 10_000 });
      const c = await agent('textfile-impostor');
      const errors = await push(c, families);
      assert.deepEqual(errors.map((e) => e.code), ['FP_TYPE_CONFLICT']);
      assert.match(String(errors[0]!.message), /node_load15: sent as counter, but node_load15 is a gauge/);
      const real = await agent('real-3');
      assert.deepEqual(await push(real, await realLoadavg()), []);
      const text = await metricsText();
      assert.doesNotMatch(text, /^node_load15\{instance="textfile-impostor"\}/m);
      assert.match(text, /^# TYPE node_load15 gauge$/m);
      assert.match(text, /^node_load15\{instance="real-3"\} 0\.39$/m);
      assert.match(text, /^backup_last_success_seconds\{instance="textfile-impostor"\} 1700000000$/m);
      assert.match(text, /^node_textfile_scrape_error\{instance="textfile-impostor"\} 0$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
