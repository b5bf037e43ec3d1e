/**
 * How the agent is deployed (Dockerfile.agent, deploy/systemd; the footprint benchmark starts it
 * the same way; tests/deploy/agent-node-flags.test.ts keeps the three in step): file, node
 * flags and environment (AGENT_ENV).
 *
 * The file: AGENT_BUNDLE, the agent alone in one CommonJS file (scripts/bundle.mjs from
 * src/agent-cli.ts). Against dist/cli.js it reads no bridge, console or certificate code and
 * no module loader work per file (bench/results/2026-11-30-agent-rss.md).
 *
 * The flags: `--lite-mode` keeps V8 from compiling optimised code: the agent's work is a little
 * file parsing and one socket every few seconds, which the interpreter does at less CPU than
 * optimising it would take, while optimised code and its feedback cost 6-16 MB of RSS
 * (bench/results/*-agent-footprint.md, 2026-11-30-agent-rss.md). Lite mode implies --jitless
 * (Node 20 to 26 alike): the agent has no writable executable memory (the systemd unit's
 * MemoryDenyWriteExecute=yes relies on it: tests/deploy/agent-sandbox.test.ts), and WebAssembly
 * is off, which warns unless told so: hence --no-expose-wasm (Node 20
 * and 22; the V8 of Node 24 and later has no such flag and node refuses to start with it, and
 * needs nothing in its place: docs/deploy.md tells systemd users to drop it there). The
 * agent therefore must not use fetch() (undici runs on WebAssembly); it needs only net, dgram
 * and fs. The bridge is busy and keeps the defaults.
 *
 * `--no-node-snapshot`: node then builds its bootstrap heap by running its own bootstrap code
 * instead of deserializing its built-in startup snapshot. The running agent then holds fewer
 * pages of the node binary and a little less heap: side by side 4 MiB less RSS under Node 22
 * (57.2 -> 53.1 MiB in the image) and 2 MiB less under Node 20 (46.2 -> 44.2), the same CPU per
 * collection; start-up takes some 40 ms more CPU, once (bench/results/2026-11-30-agent-image-rss.md).
 *
 * `--bytecode-old-age=1`: V8 drops the bytecode of a function that has not run since the last
 * full GC (by default: the last five), and compiles it again if it ever runs. Most of the agent's
 * functions run once, at start (configuration, collector discovery); the ones that collect run
 * every interval and keep theirs. Under Node 22, whose V8 holds twice Node 20's bytecode, 1 MiB
 * less RSS in the image (53.3 -> 52.3 MiB, three copies each), no change under Node 20, the same
 * CPU per collection.
 *
 * `--expose-gc`: gives the agent `gc()`, which it uses for one thing: a young-generation GC just
 * before each collection (src/agent/young-generation.ts: why, and what it saves). The agent runs no
 * code but its own (the textfile collector parses, never evaluates).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--lite-mode', '--no-expose-wasm', '--no-node-snapshot', '--bytecode-old-age=1', '--expose-gc'];

/**
 * AGENT_NODE_FLAGS for the node that runs them (`process.version` form, e.g. 'v24.1.0'): from
 * Node 24, V8 13 has no --expose-wasm flag (node exits with "bad option") and its lite mode no
 * longer warns, so the flag goes. deploy/fleetpulse-agent, which the image and the systemd unit
 * run, makes the same choice.
 */
export function agentNodeFlags(nodeVersion: string = process.version): string[] {
  const major = Number(/^v(\d+)\./.exec(nodeVersion)?.[1]);
  return major >= 24 ? AGENT_NODE_FLAGS.filter((f) => f !== '--no-expose-wasm') : [...AGENT_NODE_FLAGS];
}

/**
 * Environment the agent is deployed with. glibc's malloc (ignored elsewhere, e.g. musl): one arena
 * instead of one per thread that allocates (the agent runs libuv's 16 pool threads), and free
 * memory at the top of the heap given back at once rather than kept from 128 KiB on. Side by
 * side on this machine about 0.8 MiB less RSS (48.0 -> 47.2 MiB) at the same CPU per collection
 * (bench/results/2026-11-30-agent-rss.md); the agent allocates little and rarely from threads.
 */
export const AGENT_ENV: Readonly<Record<string, string>> = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=0' };

/** The agent's bundle as scripts/bundle.mjs names it in dist/. */
export const AGENT_BUNDLE = 'fleetpulse-agent.cjs';

/** Arguments to `node` (of `nodeVersion`) that run the agent from `bundlePath` as deployed. */
export function agentNodeArgs(bundlePath: string, nodeVersion: string = process.version): string[] {
  return [...agentNodeFlags(nodeVersion), bundlePath, 'agent'];
}

/** The start script deploy/fleetpulse-agent installs as, beside AGENT_BUNDLE. */
export const AGENT_LAUNCHER = 'fleetpulse-agent';
