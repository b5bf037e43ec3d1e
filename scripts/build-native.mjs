#!/usr/bin/env node
// Compiles the agent's one piece of native code, src/agent/native/adjtimex.c (the timex
// collector's adjtimex(2); why it exists: the comment at its top), into <outdir>/adjtimex.node,
// beside the builds that load it (dist/cli.js, dist/fleetpulse-agent.cjs). Node-API with the
// node-api-headers package's headers: one build loads on every Node version, no node-gyp.
//
// The compiler is $CC (split on spaces, as make does), else `cc`. Where there is none, or it
// cannot compile the file, this says so and the build still succeeds: timex then calls
// adjtimex(2) through koffi (node_modules), and without either reports failure with the reason.
// --require-native makes that an error (exit 1): the agent image ships no node_modules.
//
// Usage: node scripts/build-native.mjs [--outdir dist] [--require-native]
//   `npm run build` and scripts/bundle.mjs run it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCE = join(ROOT, 'src/agent/native/adjtimex.c');
/** The file name adjtimex.ts looks for (ADDON_FILE there). */
export const ADDON_FILE = 'adjtimex.node';
/** What the user can do about a missing addon, in every message. */
const FIX = 'install a C compiler and the C library headers (Debian/Ubuntu: apt-get install gcc libc6-dev; Alpine: apk add gcc musl-dev) or set CC, then build again';
const FALLBACK = 'the timex collector falls back to koffi (in node_modules); without it, timex reports node_scrape_collector_success 0 with the reason';

/**
 * Builds <outdir>/adjtimex.node. Returns { built: true, path, compiler } or { built: false, reason }; never
 * throws for a missing or failing compiler. A failed build removes an older addon, so what is in
 * outdir is always this source's.
 */
export function buildNative({ outdir = 'dist', env = process.env } = {}) {
  const out = join(outdir, ADDON_FILE);
  const [cc = 'cc', ...ccArgs] = (env.CC ?? '').trim().split(/\s+/).filter((word) => word !== '');
  const fail = (reason) => {
    rmSync(out, { force: true });
    return { built: false, reason };
  };
  if (process.platform !== 'linux') return fail(`adjtimex(2) is Linux-only; this is ${process.platform}`);
  let include;
  try {
    include = createRequire(import.meta.url)('node-api-headers').include_dir;
  } catch (err) {
    return fail(`the node-api-headers package (a devDependency: npm ci without --omit=dev) is not installed: ${err.message.split('\n')[0]}`);
  }
  mkdirSync(outdir, { recursive: true });
  // Written under another name, then renamed: a running agent that has the old file mapped keeps it.
  const tmp = `${out}.${process.pid}.tmp`;
  const args = [...ccArgs, '-O2', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra', '-I', include, '-o', tmp, SOURCE];
  const r = spawnSync(cc, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) {
    rmSync(tmp, { force: true });
    const missing = r.error.code === 'ENOENT';
    return fail(missing ? `no C compiler: "${cc}" was not found${env.CC === undefined ? ' (set CC to use another)' : ' (CC)'}` : `"${cc}" could not run: ${r.error.message}`);
  }
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const output = `${r.stdout}${r.stderr}`.trim().split('\n').slice(0, 20).join('\n');
    return fail(`"${cc}" could not compile ${relative(ROOT, SOURCE)} (exit ${r.status ?? r.signal}):\n${output}`);
  }
  renameSync(tmp, out);
  return { built: true, path: out, compiler: cc };
}

/** Runs buildNative and reports on the console; returns the process exit code. */
export function buildNativeCli({ outdir, required }) {
  const result = buildNative({ outdir });
  if (result.built) {
    console.log(`${result.path}: adjtimex(2) for the timex collector (${result.compiler}, ${(statSync(result.path).size / 1024).toFixed(0)} KiB)`);
    return 0;
  }
  const out = join(outdir, ADDON_FILE);
  if (required) {
    console.error(`build-native: ${out} is required (--require-native) but was not built: ${result.reason}\nTo fix: ${FIX}.`);
    return 1;
  }
  console.error(`build-native: ${out} not built: ${result.reason}\n  ${FALLBACK}.\n  To build it: ${FIX}.`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' }, 'require-native': { type: 'boolean', default: false } } });
  process.exitCode = buildNativeCli({ outdir: values.outdir, required: values['require-native'] });
}
