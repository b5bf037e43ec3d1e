import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { AGENT_BUNDLE, AGENT_ENV, AGENT_LAUNCHER, agentNodeArgs, agentNodeFlags } from '../../src/agent/node-flags.js';
import { FOOTPRINT_AGENT_BUNDLE, FOOTPRINT_AGENT_ENV, footprintAgentArgs } from '../../bench/phases/agent-footprint.js';
import { ADDON_FILE } from '../../src/agent/collectors/adjtimex.js';
import { dockerfileStart, readRepoFile as read } from '../helpers/repo-files.js';

// How the agent is started is written in places that cannot import each other: the agent image,
// the systemd unit (both through the start script deploy/fleetpulse-agent), and
// src/agent/node-flags.ts (which the footprint benchmark uses). The benchmark's figures are only
// the deployed agent's if all three start the same file with the same flags.

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the agent is deployed and measured the same way everywhere', () => {
  it('Dockerfile.agent: ENTRYPOINT and CMD run the start script beside the agent bundle', () => {
    const dockerfile = read('Dockerfile.agent');
    assert.deepEqual(dockerfileStart(dockerfile), [`/app/dist/${AGENT_LAUNCHER}`, 'agent']);
    // The image builds the bundle (scripts/bundle.mjs copies the start script beside it and builds the
    // timex collector's addon, which must build: the image has no koffi) and copies the three where
    // the ENTRYPOINT looks.
    assert.match(dockerfile, /^COPY deploy\/fleetpulse-agent \.\/deploy\/$/m);
    assert.match(dockerfile, /^RUN node scripts\/bundle\.mjs --require-native$/m);
    assert.match(dockerfile, new RegExp(`^COPY --from=build /app/dist/${escape(AGENT_BUNDLE)} /app/dist/${escape(AGENT_LAUNCHER)} /app/dist/${escape(ADDON_FILE)} \\./dist/$`, 'm'));
    assert.doesNotMatch(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')), /^COPY .*node_modules/m, 'the bundle needs no node_modules');
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    for (const [name, value] of Object.entries(AGENT_ENV)) assert.match(runtimeStage, new RegExp(`^ENV ${name}=${escape(value)}$`, 'm'), `ENV ${name}`);
    const healthcheck = /^\s+CMD (\[.*\])$/m.exec(dockerfile);
    assert.deepEqual(JSON.parse(healthcheck![1]!), ['node', `/app/dist/${AGENT_BUNDLE}`, 'agent', '--check']);
  });

  it('deploy/systemd/fleetpulse-agent.service: ExecStart and Environment', () => {
    const unit = read('deploy/systemd/fleetpulse-agent.service');
    for (const [name, value] of Object.entries(AGENT_ENV)) assert.match(unit, new RegExp(`^Environment=${name}=${escape(value)}$`, 'm'), `Environment=${name}`);
    const line = /^ExecStart=(.*)$/m.exec(unit);
    assert.equal(line?.[1], `/opt/fleetpulse/${AGENT_LAUNCHER} agent`);
  });

  it('deploy/fleetpulse-agent execs the `node` on PATH with agentNodeArgs for its version (no --no-expose-wasm from Node 24)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-launcher-'));
    try {
      // A stand-in `node` that says which version it is and prints the arguments it was given.
      const fakeNode = join(dir, 'node');
      writeFileSync(fakeNode, '#!/bin/sh\nif [ "$1" = --version ]; then echo "$FAKE_NODE_VERSION"; exit 0; fi\nprintf "%s\\n" "$@"\n');
      chmodSync(fakeNode, 0o755);
      const launcher = fileURLToPath(new URL(`../../deploy/${AGENT_LAUNCHER}`, import.meta.url));
      const bundle = fileURLToPath(new URL(`../../deploy/${AGENT_BUNDLE}`, import.meta.url));
      for (const version of ['v20.18.0', 'v22.23.5', 'v23.11.1', 'v24.0.0', 'v26.12.1', 'v30.1.0']) {
        const r = spawnSync(launcher, ['agent', '--check'], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_NODE_VERSION: version } });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split('\n'), [...agentNodeArgs(bundle, version), '--check'], version);
      }
      assert.ok(agentNodeFlags('v22.23.5').includes('--no-expose-wasm') && !agentNodeFlags('v24.0.0').includes('--no-expose-wasm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the footprint benchmark starts the deployed agent: the same bundle, flags and environment', () => {
    assert.equal(FOOTPRINT_AGENT_BUNDLE, fileURLToPath(new URL(`../../dist/${AGENT_BUNDLE}`, import.meta.url)));
    assert.deepEqual(footprintAgentArgs(agentNodeFlags()), agentNodeArgs(FOOTPRINT_AGENT_BUNDLE));
    assert.deepEqual(FOOTPRINT_AGENT_ENV, AGENT_ENV);
    // measureAgentFootprint builds it first (buildAgentBundle); tests/bench/bench-smoke.test.ts runs it.
    assert.match(read('scripts/bundle.mjs'), new RegExp(`\\['${AGENT_BUNDLE.replace(/\./g, '\\.')}', 'src/agent-cli\\.ts'\\]`));
  });
});
