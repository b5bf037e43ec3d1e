import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ADDON_FILE, addonDir, bindAdjtimex, type AdjtimexBinding, type AdjtimexReading } from '../../../src/agent/collectors/adjtimex.js';
import { compilerCommand, skipUnlessCompiler } from '../../helpers/native.js';

// The timex collector's adjtimex(2): our Node-API addon (src/agent/native/adjtimex.c), koffi as the
// fallback, and an error naming both. Real system calls on this host, real builds with cc.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD_NATIVE = join(ROOT, 'scripts/build-native.mjs');
const linux = process.platform === 'linux' ? false : 'adjtimex(2) is Linux-only';
const noCompiler = linux || skipUnlessCompiler();

const buildNative = (outdir: string, env: Record<string, string> = {}, args: string[] = []) =>
  spawnSync(process.execPath, [BUILD_NATIVE, '--outdir', outdir, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

function bound(result: AdjtimexBinding | Error): AdjtimexBinding {
  if (result instanceof Error) throw result;
  return result;
}

/** What does not move between two reads on a host whose clock nobody is adjusting this second. */
const stable = ({ state, timex: t }: AdjtimexReading) => ({ state, status: t.status, tick: t.tick, constant: t.constant, tai: t.tai, shift: t.shift, ppsfreq: t.ppsfreq });

describe('adjtimex(2) for the timex collector', { skip: linux }, () => {
  let dir: string;
  let empty: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-adjtimex-'));
    empty = mkdtempSync(join(tmpdir(), 'fleetpulse-adjtimex-empty-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('the addon, built with cc, reads what koffi reads from the same kernel', { skip: noCompiler }, () => {
    const built = buildNative(dir);
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stdout, /adjtimex\.node: adjtimex\(2\) for the timex collector/);
    const addon = bound(bindAdjtimex({ dir }));
    assert.equal(addon.via, 'addon');
    assert.equal(addon.from, join(dir, ADDON_FILE));
    const koffi = bound(bindAdjtimex({ dir: empty }));
    assert.equal(koffi.via, 'koffi');
    // Alternating reads: a field that equals on both sides of koffi's read did not move meanwhile.
    const first = addon.read();
    const viaKoffi = koffi.read();
    const last = addon.read();
    assert.deepEqual(stable(first), stable(last), 'the clock was adjusted between two reads: run again');
    assert.deepEqual(stable(viaKoffi), stable(first));
    assert.ok(first.state >= 0 && first.state <= 5, `clock state ${first.state}`);
    assert.ok(first.timex.tick > 0, 'a tick length (10 000 µs at HZ=100)');
    // maxerror grows while unsynchronised and is reset by an NTP daemon: only its kind is checked.
    for (const r of [first, viaKoffi, last]) assert.ok(Number.isInteger(r.timex.maxerror) && r.timex.maxerror >= 0);
    assert.deepEqual(Object.keys(first.timex).sort(), Object.keys(viaKoffi.timex).filter((k) => k in first.timex).sort(), 'every field the collector reads');
  });

  it('without the addon, koffi makes the call', () => {
    const koffi = bound(bindAdjtimex({ dir: empty }));
    assert.equal(koffi.via, 'koffi');
    assert.match(koffi.from, /node_modules[\\/]koffi[\\/]/);
    assert.ok(koffi.read().timex.tick > 0);
  });

  it('an addon that does not load falls back to koffi; without koffi the error names both and the fix', () => {
    const broken = mkdtempSync(join(tmpdir(), 'fleetpulse-adjtimex-broken-'));
    try {
      writeFileSync(join(broken, ADDON_FILE), 'not an ELF file\n');
      assert.equal(bound(bindAdjtimex({ dir: broken })).via, 'koffi');
      // koffi resolved from a directory without node_modules: as the bundle alone.
      const alone = pathToFileURL(join(empty, 'fleetpulse-agent.cjs')).href;
      const neither = bindAdjtimex({ dir: broken, koffiFrom: alone });
      assert.ok(neither instanceof Error);
      assert.match(neither.message, new RegExp(`the addon ${join(broken, ADDON_FILE).replace(/[.\\/]/g, '\\$&')} does not load: .*; koffi \\(the FFI package\\) could not be loaded: Cannot find module 'koffi'`));
      assert.match(neither.message, /To fix: build where a C compiler is installed .*apt-get install gcc libc6-dev.*or install koffi there/);
      const missing = bindAdjtimex({ dir: empty, koffiFrom: alone });
      assert.ok(missing instanceof Error);
      assert.match(missing.message, /adjtimex\.node was not found \(built without a C compiler\?\); koffi/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('an addon of another layout (an older adjtimex.c) is refused, not misread: koffi makes the call', { skip: noCompiler }, () => {
    const other = mkdtempSync(join(tmpdir(), 'fleetpulse-adjtimex-other-'));
    try {
      // A Node-API module whose function returns three numbers instead of adjtimex.c's eighteen.
      const source = join(other, 'other.c');
      writeFileSync(source, [
        '#define NAPI_VERSION 8',
        '#include <node_api.h>',
        'static napi_value f(napi_env env, napi_callback_info info) {',
        '  (void)info; napi_value a, x; napi_create_array_with_length(env, 3, &a);',
        '  for (uint32_t i = 0; i < 3; i++) { napi_create_double(env, i, &x); napi_set_element(env, a, i, x); }',
        '  return a;',
        '}',
        'NAPI_MODULE_INIT() { (void)exports; napi_value fn; napi_create_function(env, "f", NAPI_AUTO_LENGTH, f, NULL, &fn); return fn; }',
        '',
      ].join('\n'));
      const include = createRequire(import.meta.url)('node-api-headers').include_dir as string;
      const cc = spawnSync(compilerCommand(), ['-shared', '-fPIC', '-I', include, '-o', join(other, ADDON_FILE), source], { encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
      assert.equal(bound(bindAdjtimex({ dir: other })).via, 'koffi');
      const alone = pathToFileURL(join(empty, 'fleetpulse-agent.cjs')).href;
      const neither = bindAdjtimex({ dir: other, koffiFrom: alone });
      assert.ok(neither instanceof Error);
      assert.match(neither.message, /adjtimex\.node returned 3 values, not the 18 numbers this agent reads: rebuild it \(npm run build\); koffi/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('run from the sources (tsx, tests), the agent uses the addon `npm run build` put in dist/', { skip: noCompiler }, () => {
    // npm test builds first (pretest); a single test file run by hand may come before any build.
    if (!existsSync(join(ROOT, 'dist', ADDON_FILE)) && process.env.CI !== 'true') return;
    const binding = bound(bindAdjtimex());
    assert.deepEqual([binding.via, binding.from], ['addon', join(ROOT, 'dist', ADDON_FILE)]);
  });

  it('the addon is looked for in one directory: the running build\'s', () => {
    assert.equal(addonDir('file:///opt/fleetpulse/fleetpulse-agent.cjs'), '/opt/fleetpulse');
    assert.equal(addonDir('file:///app/dist/fleetpulse.cjs'), '/app/dist');
    assert.equal(addonDir('file:///repo/dist/agent/collectors/adjtimex.js'), '/repo/dist');
    assert.equal(addonDir('file:///repo/src/agent/collectors/adjtimex.ts'), '/repo/dist');
  });
});

describe('scripts/build-native.mjs', { skip: linux }, () => {
  it('without a C compiler says so, builds nothing (removing an older addon) and succeeds; --require-native fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-build-native-'));
    try {
      writeFileSync(join(dir, ADDON_FILE), 'an older build');
      const r = buildNative(dir, { CC: '/nonexistent/cc' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /adjtimex\.node not built: no C compiler: "\/nonexistent\/cc" was not found/);
      assert.match(r.stderr, /falls back to koffi/);
      assert.match(r.stderr, /apt-get install gcc libc6-dev/);
      assert.ok(!existsSync(join(dir, ADDON_FILE)), 'no addon left that this build did not make');
      const required = buildNative(dir, { CC: '/nonexistent/cc' }, ['--require-native']);
      assert.equal(required.status, 1);
      assert.match(required.stderr, /adjtimex\.node is required \(--require-native\) but was not built: no C compiler/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a compiler that fails shows its output and leaves no addon', { skip: noCompiler }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-build-native-'));
    try {
      // A flag the compiler rejects stands in for missing headers: cc runs and exits non-zero.
      const r = buildNative(dir, { CC: 'cc --no-such-flag-fleetpulse' });
      assert.equal(r.status, 0);
      assert.match(r.stderr, /not built: "cc" could not compile src\/agent\/native\/adjtimex\.c \(exit 1\):\n.*no-such-flag-fleetpulse/);
      assert.ok(!existsSync(join(dir, ADDON_FILE)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
