import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startReceiverProxy, type ReceiverProxy } from './receiver-proxy.js';
import { removeAllVictoriaMetrics, skipUnlessVictoriaMetrics, startVictoriaMetrics } from './victoria-metrics.js';

// The receiver the outage tests rely on: what is written with its own timestamps is exported
// back exactly (duplicates kept), survives a stop and restart on the same port, and the proxy
// in front of it records arrival order, answers a chosen request itself, and hangs up while
// the receiver is down. Samples go in through VictoriaMetrics' text import, not our bridge.

const proxies: ReceiverProxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await removeAllVictoriaMetrics();
});

const skip = skipUnlessVictoriaMetrics();

/** `name{instance="h"} value ts` lines for each timestamp. */
const lines = (name: string, timestamps: number[]) => timestamps.map((t, i) => `${name}{instance="h"} ${i} ${t}\n`).join('');

describe('the VictoriaMetrics test receiver', { skip }, () => {
  it('gives back raw samples with their timestamps and keeps them over a stop and a restart', { timeout: 180_000 }, async () => {
    const vm = await startVictoriaMetrics();
    const base = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const steady = Array.from({ length: 30 }, (_, i) => base + i * 1000);
    const holed = steady.filter((t) => t < base + 10_000 || t >= base + 15_000);
    const proxy = await startReceiverProxy(vm.url);
    proxies.push(proxy);
    const post = (body: string) => fetch(`${proxy.url}/api/v1/import/prometheus`, { method: 'POST', body });

    assert.equal((await post(lines('fp_test_holed', holed))).status, 204);
    // The same samples again (an at-least-once resend): stored twice, found once.
    assert.equal((await post(lines('fp_test_holed', holed.slice(0, 3)))).status, 204);
    const window = { fromMs: base, toMs: base + 29_000, intervalMs: 1000 };
    const before = await vm.gapsOf('fp_test_holed', window);
    assert.deepEqual([before.found, before.duplicates, before.worstGapMs], [25, 3, 6000], JSON.stringify(before));
    assert.deepEqual([before.worstGapFromMs, before.worstGapToMs], [base + 9000, base + 15_000]);
    assert.deepEqual(await vm.timestampsOf('fp_test_nothing', window), [], 'an unknown series has no samples');

    // The newest sample (a second ago) is there at once, not 30 s later.
    const newest = Date.now() - 1000;
    assert.equal((await post(lines('fp_test_newest', [newest]))).status, 204);
    assert.deepEqual(await vm.timestampsOf('fp_test_newest', { fromMs: newest - 1000, toMs: newest }), [newest]);

    await vm.stop();
    await assert.rejects(post(lines('fp_test_holed', [base])), 'while it is down the proxy hangs up');
    assert.equal(proxy.exchanges.at(-1)!.answered, 'hang-up');
    await vm.restart();
    assert.deepEqual(await vm.gapsOf('fp_test_holed', window), before, 'the same samples after the restart');
    // The hole filled late, in the past (a replayed backlog): VictoriaMetrics takes it.
    assert.equal((await post(lines('fp_test_holed', steady.slice(10, 15)))).status, 204);
    const filled = await vm.gapsOf('fp_test_holed', window);
    assert.deepEqual([filled.found, filled.worstGapMs], [30, 1000], JSON.stringify(filled));
  });

  it('the proxy answers the requests its rule picks and forwards the rest, in arrival order', { timeout: 120_000 }, async () => {
    const vm = await startVictoriaMetrics();
    const proxy = await startReceiverProxy(vm.url);
    proxies.push(proxy);
    proxy.setRule((req) => (req.body.includes('fp_test_poison') ? { status: 400, body: 'poisoned batch\n' } : 'forward'));
    const now = Date.now() - 5000;
    const post = (body: string) => fetch(`${proxy.url}/api/v1/import/prometheus`, { method: 'POST', body });
    assert.equal((await post(lines('fp_test_good', [now]))).status, 204);
    const refused = await post(lines('fp_test_poison', [now]));
    assert.deepEqual([refused.status, await refused.text()], [400, 'poisoned batch\n']);
    assert.equal((await post(lines('fp_test_good', [now + 1000]))).status, 204);
    assert.deepEqual(proxy.exchanges.map((e) => [e.index, e.answered]), [[0, 204], [1, 400], [2, 204]]);
    const window = { fromMs: now - 1000, toMs: now + 1000 };
    assert.equal((await vm.exportSeries('fp_test_poison', window)).length, 0, 'the refused request never reached the receiver');
    assert.deepEqual(await vm.timestampsOf('fp_test_good', window), [now, now + 1000]);
  });
});
