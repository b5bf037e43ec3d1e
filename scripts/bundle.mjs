#!/usr/bin/env node
// Builds two single CommonJS files with their dependencies, runnable without node_modules
// (Node.js >= 20):
// - fleetpulse.cjs: the whole CLI (`node fleetpulse.cjs server|agent|demo|certs`);
// - fleetpulse-agent.cjs: the agent alone (src/agent-cli.ts), what Dockerfile.agent and the systemd
//   unit run (through deploy/fleetpulse-agent, copied beside it): no bridge, console or
//   certificate code to read into an agent's memory.
// - adjtimex.node: the timex collector's adjtimex(2) (scripts/build-native.mjs), beside them; where no
//   C compiler exists it is left out with a message (timex then needs koffi beside the bundle).
// Usage: node scripts/bundle.mjs [--outdir <dir>] [--require-native]
//   --require-native: fail when adjtimex.node cannot be built (the agent image, which has no koffi).
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { buildNativeCli } from './build-native.mjs';

const ROOT = new URL('../', import.meta.url);
const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' }, 'require-native': { type: 'boolean', default: false } } });
const { version } = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8'));

// src/version.ts reads ../package.json beside the module, which a single file installed as
// /opt/fleetpulse/fleetpulse.cjs does not have: the bundle gets the version as a constant instead.
const versionConstant = {
  name: 'fleetpulse-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, (args) => {
      const exported = [...readFileSync(args.path, 'utf8').matchAll(/^export\s+(?:const|let|var|function|class)\s+(\w+)/gm)].map((m) => m[1]);
      if (exported.join() !== 'VERSION') {
        throw new Error(`src/version.ts exports ${exported.join(', ')}; scripts/bundle.mjs replaces that module with VERSION alone: teach it the rest`);
      }
      return { contents: `export const VERSION = ${JSON.stringify(version)};\n`, loader: 'ts' };
    });
  },
};

/** The two builds: output file name and entry point. */
const BUNDLES = [
  ['fleetpulse.cjs', 'src/cli.ts'],
  ['fleetpulse-agent.cjs', 'src/agent-cli.ts'],
];

for (const [name, entry] of BUNDLES) {
  const outfile = join(values.outdir, name);
  const result = await build({
    absWorkingDir: new URL('.', ROOT).pathname,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Other modules that resolve files next to themselves keep working relative to the bundle
    // (CommonJS has no import.meta).
    banner: { js: 'const __fleetpulse_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__fleetpulse_import_meta_url' },
    plugins: [versionConstant],
    logLevel: 'warning',
    metafile: true,
  });
  if (result.warnings.length > 0) {
    console.error(`bundle: ${result.warnings.length} warning(s) above; refusing a bundle that may not run`);
    process.exit(1);
  }
  const bytes = Object.values(result.metafile.outputs)[0].bytes;
  console.log(`${outfile}: fleetpulse ${version}, ${(bytes / 1024).toFixed(0)} KiB`);
}

// The agent's start script (node flags per Node version) beside the bundle it starts: the image
// and the systemd unit run dist/fleetpulse-agent, not node directly. copyFileSync keeps its mode.
copyFileSync(new URL('deploy/fleetpulse-agent', ROOT), join(values.outdir, 'fleetpulse-agent'));
console.log(`${join(values.outdir, 'fleetpulse-agent')}: the agent's start script (deploy/fleetpulse-agent)`);

// The timex collector's addon beside the bundles (the bundle looks for it in its own directory).
process.exitCode = buildNativeCli({ outdir: values.outdir, required: values['require-native'] });
