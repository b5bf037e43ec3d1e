import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HeapSnapshot } from '../../bench/memory/heap-summary.js';
import { summariseSmaps } from '../../bench/memory/smaps-summary.js';

// The bridge memory tools (bench/memory/) on a real process: the probe preloaded into a child
// node that holds a known amount of memory, then its smaps and heap snapshot summarised.

const PROBE = fileURLToPath(new URL('../../bench/memory/probe.cjs', import.meta.url));

describe('bench/memory tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memory-probe-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // 20 000 objects of a class of its own and a 16 MiB ArrayBuffer, held until the probe has written.
  const child = spawnSync(process.execPath, ['-r', PROBE, '-e', `
    class Probed { constructor(i) { this.i = i; this.text = 'x'.repeat(40) + i; } }
    globalThis.kept = Array.from({ length: 20000 }, (_, i) => new Probed(i));
    globalThis.buffer = new Uint8Array(16 * 1024 * 1024).fill(1);
    setTimeout(() => {}, 1500);
  `], { env: { ...process.env, MEMORY_PROBE_DIR: dir, MEMORY_PROBE_SMAPS_AT: '0.5', MEMORY_PROBE_SNAPSHOT_AT: '0.7' }, encoding: 'utf8' });

  it('the probe writes smaps and a heap snapshot of the process it is loaded in', () => {
    assert.equal(child.status, 0, child.stderr);
    const files = readdirSync(dir);
    assert.ok(files.some((f) => /^smaps-\d+-0\.5\.txt$/.test(f)), files.join(' '));
    assert.ok(files.some((f) => /^heap-\d+-0\.7\.heapsnapshot$/.test(f)), files.join(' '));
  });

  it('smaps-summary sums RSS by kind of mapping: the node binary and malloc/V8 memory are there', () => {
    const file = readdirSync(dir).find((f) => f.startsWith('smaps-'))!;
    const kinds = summariseSmaps(readFileSync(join(dir, file), 'utf8'));
    const total = [...kinds.values()].reduce((n, k) => n + k.rssKiB, 0);
    assert.ok(kinds.get('node binary')!.rssKiB > 1024, 'the node binary is mapped');
    // The 16 MiB buffer is resident somewhere anonymous (malloc or its own mapping).
    const anonymous = [...kinds.values()].reduce((n, k) => n + k.anonKiB, 0);
    assert.ok(anonymous >= 16 * 1024, `anonymous ${anonymous} KiB`);
    assert.ok(total > anonymous);
  });

  it('heap-summary finds the objects by constructor and what holds their strings', () => {
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'))!;
    const heap = new HeapSnapshot(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    const { groups } = heap.byConstructor();
    const probed = groups.find(([key]) => key === 'object\tProbed');
    assert.equal(probed?.[1].count, 20000);
    const data = groups.find(([key]) => key === 'native\tsystem / JSArrayBufferData');
    assert.ok(data && data[1].bytes >= 16 * 1024 * 1024, 'the ArrayBuffer contents are counted');
    const texts = heap.retainers('string').find(([key]) => key === 'object:Probed .text');
    assert.equal(texts?.[1].count, 20000);
  });
});
