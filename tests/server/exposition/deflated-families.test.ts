import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DeflatedFamilies } from '../../../src/server/exposition/deflated-families.js';
import { gzipMember } from '../../../src/server/exposition/gzip-member.js';
import { MetricsBody } from '../../../src/server/exposition/metrics-body.js';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { SelfMetrics } from '../../../src/server/own-metrics/self-metrics.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { feed } from '../../helpers/feed-store.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { WINDOWS_PER_INTERVAL } from '../../../src/server/store/shard-planner.js';

const INTERVAL = 8000;
const WINDOW = INTERVAL / WINDOWS_PER_INTERVAL;

/** A store whose clock the test sets; agent i pushes in window i % 8. */
function fleet(agents: number) {
  const timers = new ManualTimers(1_000 * INTERVAL);
  const store = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, timers });
  const ids = Array.from({ length: agents }, (_, i) => `h${i}`);
  for (const id of ids) store.connect({ id, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: INTERVAL });
  const push = (i: number, load: number, memory = 100) => {
    timers.set(1_000 * INTERVAL + (i % WINDOWS_PER_INTERVAL) * WINDOW + 10);
    feed(store).batch(ids[i]!, [
      { name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value: load }] },
      { name: 'node_memory_MemTotal_bytes', type: 'gauge', help: 'memory', samples: [{ value: memory }] },
      { name: 'node_cpu_seconds_total', type: 'counter', help: 'cpu', samples: [0, 1].map((cpu) => ({ labels: { cpu: String(cpu), mode: 'idle' }, value: load * 10 + cpu })) },
    ]);
  };
  return { store, push, setNow: (ms: number) => timers.set(ms) };
}

async function gunzipped(families: DeflatedFamilies): Promise<string> {
  return gunzipSync(Buffer.concat(gzipMember(await families.pieces()))).toString('utf8');
}

describe('DeflatedFamilies', () => {
  it('gives the same text as rendering, and recompresses only the pieces that changed', async () => {
    const { store, push } = fleet(16);
    for (let i = 0; i < 16; i++) push(i, i);
    const families = new DeflatedFamilies(store.catalog, store.shards);
    assert.equal(await gunzipped(families), renderFamilies(store.catalog));
    const first = families.compressed;
    assert.equal(first, 3 * WINDOWS_PER_INTERVAL, 'a piece per family and shard');
    push(3, 42); // load and cpu of one agent move; its memory line stays
    assert.equal(await gunzipped(families), renderFamilies(store.catalog));
    assert.equal(families.compressed - first, 2, 'only that shard\'s load and cpu pieces');
    assert.match(renderFamilies(store.catalog), /^node_load1\{instance="h3"\} 42$/m);
  });

  it('compresses ahead only the shards outside their push window', () => {
    const { store, push } = fleet(16);
    for (let i = 0; i < 16; i++) push(i, i);
    const families = new DeflatedFamilies(store.catalog, store.shards);
    // In the middle of window 2: that shard (and no other) is still being pushed to.
    const started = families.precompress(1_000 * INTERVAL + 2 * WINDOW + WINDOW / 2);
    assert.equal(started, 3 * (WINDOWS_PER_INTERVAL - 1));
    assert.equal(families.precompress(1_000 * INTERVAL + 2 * WINDOW + WINDOW / 2), 0, 'nothing left to do there');
  });

  it('does not compress ahead what its agents push again before the next scrape', () => {
    const { store, push } = fleet(16);
    for (let i = 0; i < 16; i++) push(i, i);
    const families = new DeflatedFamilies(store.catalog, store.shards);
    const now = 1_000 * INTERVAL + 2 * WINDOW + WINDOW / 2;
    // Scraped every three intervals: the pieces would change twice before the next scrape.
    assert.equal(families.precompress(now, now + 3 * INTERVAL), 0);
    // Within one interval of the scrape they stay current until it.
    assert.equal(families.precompress(now, now + INTERVAL - 1), 3 * (WINDOWS_PER_INTERVAL - 1));
  });
});

describe('MetricsBody', () => {
  it('serves one gzip member that gunzip and Node read as the plain body', async () => {
    const { store, push } = fleet(10);
    for (let round = 0; round < 3; round++) for (let i = 0; i < 10; i++) push(i, round * 100 + i);
    const body = new MetricsBody(store, new SelfMetrics());
    try {
      const gz = Buffer.concat(await body.renderGzip());
      const plain = await body.render();
      const strip = (text: string) => text.slice(text.indexOf('# HELP fleetpulse_agent_')); // own metrics move between calls
      const viaNode = gunzipSync(gz).toString('utf8');
      assert.equal(strip(viaNode), strip(plain));
      const viaGunzip = spawnSync('gunzip', ['-c'], { input: gz });
      assert.equal(viaGunzip.status, 0, viaGunzip.stderr.toString());
      assert.equal(viaGunzip.stdout.toString('utf8'), viaNode);
    } finally {
      body.stop();
    }
  });
});
