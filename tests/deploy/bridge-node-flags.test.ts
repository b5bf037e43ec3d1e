import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BRIDGE_NODE_FLAGS, bridgeNodeArgs } from '../../src/server/node-flags.js';
import { benchBridgeArgs } from '../../bench/systems/bridge.js';
import { dockerfileStart, readRepoFile as read } from '../helpers/repo-files.js';

// How the bridge is started is written in places that cannot import each other: the server image,
// the README's command for running it from the source, and src/server/node-flags.ts (which the
// benchmark uses). The benchmark's figures are only the deployed bridge's if all start it alike.

describe('the bridge is deployed and measured the same way everywhere', () => {
  it('Dockerfile.server: ENTRYPOINT and CMD run `server` with BRIDGE_NODE_FLAGS', () => {
    assert.deepEqual(dockerfileStart(read('Dockerfile.server')), ['node', ...bridgeNodeArgs('/app/dist/cli.js')]);
  });

  it('the README runs the bridge from the source with the same flags', () => {
    const readme = read('README.md');
    assert.ok(readme.includes(['node', ...bridgeNodeArgs('dist/cli.js')].join(' ')), `README: ${['node', ...bridgeNodeArgs('dist/cli.js')].join(' ')}`);
  });

  it('the benchmark starts the deployed bridge; BENCH_BRIDGE_NODE_ARGS go after the deployed flags (so they override them)', () => {
    assert.deepEqual(benchBridgeArgs('/x/dist/cli.js'), bridgeNodeArgs('/x/dist/cli.js'));
    assert.deepEqual(benchBridgeArgs('/x/dist/cli.js', ' --cpu-prof  --cpu-prof-dir=/tmp/p '), [...BRIDGE_NODE_FLAGS, '--cpu-prof', '--cpu-prof-dir=/tmp/p', '/x/dist/cli.js', 'server']);
  });

  it('this node accepts the flags (an unknown one makes node refuse to start)', () => {
    const run = spawnSync(process.execPath, [...BRIDGE_NODE_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
  });
});
