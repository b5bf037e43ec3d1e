import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ADDON_FILE } from '../../src/agent/collectors/adjtimex.js';
import { AGENT_BUNDLE, AGENT_LAUNCHER, agentNodeFlags } from '../../src/agent/node-flags.js';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { eventually, getJson, getText } from '../helpers/http.js';
import { skipUnlessCompiler } from '../helpers/native.js';
import { readRepoFile } from '../helpers/repo-files.js';

// deploy/systemd/fleetpulse-agent.service sets MemoryDenyWriteExecute=yes. That is only true
// because the agent runs V8 without its JIT (--lite-mode implies --jitless), so it is checked on
// the real agent as the unit starts it (the start script beside the bundle), under both forms of
// the protection systemd uses (tests/helpers/memory-deny-write-execute.py), with the timex
// collector's native code from our addon and from koffi, and by the agent's memory map.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HELPER = join(ROOT, 'tests/helpers/memory-deny-write-execute.py');
const UNSUPPORTED = 77;
type Form = 'none' | 'prctl' | 'seccomp';

const python = spawnSync('python3', ['--version'], { stdio: 'ignore' });
// CI (.ci/run) installs python3; only a local machine without it skips.
const noPython = python.error && process.env.CI !== 'true' ? 'no python3, which applies the protection as systemd does' : undefined;

/** Why a form cannot be applied here (an old kernel, another architecture), or undefined. */
function unavailable(form: Form): string | undefined {
  if (form === 'none') return undefined;
  const r = spawnSync('python3', [HELPER, form, 'true'], { encoding: 'utf8' });
  return r.status === UNSUPPORTED ? r.stderr.trim() : undefined;
}

/** Lines of /proc/<pid>/maps that are writable and executable. */
const writableExecutable = (maps: string): string[] => maps.split('\n').filter((line) => /^\S+ .wx/.test(line));

describe('MemoryDenyWriteExecute=yes in the agent\'s systemd unit', () => {
  it('the unit sets it, and the start script runs every Node version in lite mode, which means jitless', () => {
    const unit = readRepoFile('deploy/systemd/fleetpulse-agent.service');
    assert.match(unit, /^MemoryDenyWriteExecute=yes$/m);
    for (const version of ['v20.18.0', 'v22.23.5', 'v24.0.0', 'v26.12.1']) {
      assert.ok(agentNodeFlags(version).includes('--lite-mode'), `${version}: without --lite-mode the agent needs its JIT: drop MemoryDenyWriteExecute=yes from the unit`);
    }
    const flags = spawnSync(process.execPath, ['--lite-mode', '--print-flag-values', '-e', '0'], { encoding: 'utf8' });
    assert.match(flags.stdout, /^--jitless$/m, `this node's --lite-mode does not imply --jitless`);
  });
});

describe('the agent as the unit starts it, under MemoryDenyWriteExecute', { skip: noPython, timeout: 120_000 }, () => {
  let dir: string;
  let bridge: TestBridge;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-sandbox-'));
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), '--outdir', join(dir, 'addon')], { encoding: 'utf8' });
    assert.equal(built.status, 0, `bundle failed:\n${built.stdout}${built.stderr}`);
    // The same bundle without the addon and with koffi beside it: timex's fallback.
    mkdirSync(join(dir, 'koffi', 'node_modules'), { recursive: true });
    for (const file of [AGENT_BUNDLE, AGENT_LAUNCHER]) copyFileSync(join(dir, 'addon', file), join(dir, 'koffi', file));
    symlinkSync(join(ROOT, 'node_modules', 'koffi'), join(dir, 'koffi', 'node_modules', 'koffi'));
    bridge = await startTestBridge();
  });

  after(async () => {
    await bridge?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const form of ['prctl', 'seccomp'] as const) {
    it(`${form}: the check works: node with its JIT aborts under it`, (t) => {
      if (skipForm(t, form)) return;
      const r = spawnSync('python3', [HELPER, form, process.execPath, '-e', 'for (let i = 0; i < 1e6; i++);'], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, 'node with its JIT ran: the protection was not applied');
      assert.match(r.stderr, /Fatal error|Check failed/);
    });
  }

  const cases: [Form, 'addon' | 'koffi'][] = [['none', 'addon'], ['prctl', 'addon'], ['seccomp', 'addon'], ['seccomp', 'koffi']];
  for (const [form, native] of cases) {
    it(`${form === 'none' ? 'without it' : form}: collects and pushes, timex through ${native}, and maps no writable executable memory`, async (t) => {
      if (skipForm(t, form)) return;
      // koffi is a dependency; the addon is built where a C compiler is (always in CI).
      const timexWorks = native === 'koffi' || skipUnlessCompiler() === undefined;
      const id = `sandbox-${form}-${native}`;
      const launcher = join(dir, native, AGENT_LAUNCHER);
      const env = {
        // The start script runs the `node` on PATH: this one.
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`,
        FLEETPULSE_AGENT_ID: id,
        FLEETPULSE_INTERVAL: '200ms',
        FLEETPULSE_COLLECTOR_TIMEOUT: '10s',
        FLEETPULSE_COLLECTORS: 'default,timex',
        // The probe responder too (UDP and TCP), on loopback.
        FLEETPULSE_PROBE_BIND: '127.0.0.1',
        FLEETPULSE_PROBE_PORT: '0',
        FLEETPULSE_STATUS_FILE: join(dir, `${id}.status.json`),
      };
      // python3 execs the start script, which execs node: one pid throughout.
      const [command, args] = form === 'none' ? [launcher, ['agent']] : ['python3', [HELPER, form, launcher, 'agent']];
      const agent = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      agent.stdout.on('data', (c: Buffer) => (output += c.toString()));
      agent.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | string>((resolve) => agent.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
      try {
        const batches = async () => (await getJson<{ data: { batches_received: number } }>(`${bridge.url}/api/agents/${id}`).catch(() => undefined))?.data.batches_received ?? 0;
        // Twenty batches: every collector, the outbox and the connection ran many times over.
        await eventually(async () => (await batches()) >= 20, 30_000, `20 batches from ${id} (agent output: ${output})`);
        const { text } = await getText(`${bridge.url}/metrics`);
        assert.match(text, new RegExp(`^node_scrape_collector_success\\{instance="${id}",collector="timex"\\} ${timexWorks ? 1 : 0}$`, 'm'));
        assert.match(text, new RegExp(`^node_cpu_seconds_total\\{[^}]*instance="${id}"`, 'm'));
        const maps = readFileSync(`/proc/${agent.pid}/maps`, 'utf8');
        assert.deepEqual(writableExecutable(maps), [], 'mappings both writable and executable');
        if (timexWorks) assert.match(maps, native === 'addon' ? new RegExp(`r-xp .*${join(dir, 'addon', ADDON_FILE)}$`, 'm') : /r-xp .*koffi\.node$/m, `${native} mapped`);
        if (form === 'seccomp') assert.match(readFileSync(`/proc/${agent.pid}/status`, 'utf8'), /^Seccomp:\s+2$/m);
      } finally {
        agent.kill('SIGTERM');
        const force = setTimeout(() => agent.kill('SIGKILL'), 5000);
        assert.equal(await exited, 0, `exit after SIGTERM; output:\n${output}`);
        clearTimeout(force);
      }
    });
  }
});

/** Skips the test where the form cannot be applied on this machine (never in CI). */
function skipForm(t: TestContext, form: Form): boolean {
  const why = unavailable(form);
  if (why === undefined) return false;
  if (process.env.CI === 'true') assert.fail(`${form} cannot be applied here: ${why}`);
  t.skip(why);
  return true;
}
