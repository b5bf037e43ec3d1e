/**
 * How the bridge is deployed (Dockerfile.server; `npm run bench` starts it the same way;
 * tests/deploy/bridge-node-flags.test.ts keeps them and the README in step): node flags.
 *
 * `--max-semi-space-size=32` (MiB; V8 grows each of the young generation's two halves up to this):
 * every agent batch allocates tens of KB (its line, the changed families' texts), most of it
 * kept until the agent's next batch, so with the default young generation (~8 MiB used between
 * collections here) V8 ran a scavenge every ~0.7 s at 1000 agents x 200 series / 5 s and
 * promoted much of what was young then, which then fed the mark-compacts. With 32: under half
 * as many scavenges, about 40% less main-thread scavenge time and a third less promoted to the
 * old generation, for up to ~50 MiB more RSS (bench/results/2026-11-30-bridge-gc-io.md). A larger
 * young generation still promotes whatever lives a whole push interval (measured: 128 MiB,
 * 650 MiB RSS, no CPU gained).
 */
export const BRIDGE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** Arguments to `node` that run the bridge from `cliPath` (dist/cli.js) as deployed. */
export function bridgeNodeArgs(cliPath: string): string[] {
  return [...BRIDGE_NODE_FLAGS, cliPath, 'server'];
}
