import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { eventually, getText } from '../helpers/http.js';
import { TestReceiver } from '../helpers/remote-write-receiver.js';
import { AGENT_BUNDLE, AGENT_LAUNCHER, agentNodeArgs, agentNodeFlags } from '../../src/agent/node-flags.js';
import { ADDON_FILE } from '../../src/agent/collectors/adjtimex.js';
import { skipUnlessCompiler } from '../helpers/native.js';

// The single-file builds (scripts/bundle.mjs): the agent's, which deploy/systemd/ and the agent
// image run, and the full CLI's, run from a directory of their own so nothing can come from the
// repository's node_modules; beside them the timex collector's addon (adjtimex.node), built with cc.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const python = spawnSync('python3', ['-c', 'print(1)']).status === 0;
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('dist/fleetpulse-agent.cjs and dist/fleetpulse.cjs', { timeout: 60_000 }, () => {
  let dir: string;
  let bundle: string;
  let fullCli: string;
  let bridge: TestBridge;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-bundle-'));
    bundle = join(dir, AGENT_BUNDLE);
    fullCli = join(dir, 'fleetpulse.cjs');
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), '--outdir', dir], { encoding: 'utf8' });
    assert.equal(built.status, 0, `bundle failed:\n${built.stdout}${built.stderr}`);
    bridge = await startTestBridge();
  });

  after(async () => {
    await bridge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}, file = bundle) =>
    spawnSync(process.execPath, [file, ...args], { cwd: dir, encoding: 'utf8', timeout: 10_000, env: { PATH: process.env.PATH ?? '', ...env } });

  it('beside the bundles: adjtimex.node, the timex collector\'s adjtimex(2), built with cc', { skip: skipUnlessCompiler() }, () => {
    assert.ok(existsSync(join(dir, ADDON_FILE)), `scripts/bundle.mjs built no ${ADDON_FILE} beside the bundles`);
  });

  it('both print the package version, which they cannot read from a package.json beside them', () => {
    for (const file of [bundle, fullCli]) {
      const r = run(['--version'], {}, file);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
    }
  });

  it('the full CLI knows every command; the agent bundle refuses all but agent, saying where they are', () => {
    for (const command of ['server', 'demo', 'certs']) {
      const full = run([command, '--help'], {}, fullCli);
      assert.equal(full.status, 0, `fleetpulse.cjs ${command} --help: ${full.stderr}`);
      const agentOnly = run([command, '--help']);
      assert.equal(agentOnly.status, 2);
      assert.match(agentOnly.stderr, new RegExp(`runs only "agent" \\(got "${command}"\\).*full fleetpulse CLI`));
    }
    const help = run(['agent', '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /FLEETPULSE_SERVER/);
  });

  it('the agent bundle holds no module of the bridge, the console or the certificates, nor the bridge\'s table of known families', () => {
    const text = readFileSync(bundle, 'utf8');
    // esbuild heads every module with a comment naming its source file.
    assert.match(text, /^\/\/ src\/agent\/agent\.ts$/m, 'module comments (else this test checks nothing)');
    const modules = [...text.matchAll(/^\/\/ ((?:src|node_modules)\/\S+)$/gm)].map((m) => m[1]!);
    assert.deepEqual(modules.filter((m) => /^src\/(server|certs)\/|^src\/(demo|start-bridge)\.ts$|^src\/protocol\/known-families|^node_modules\/(prom-client|node-forge|yaml|bcryptjs|@bufbuild|snappyjs)\//.test(m)), []);
  });

  it('runs an agent that reaches the bridge, passes --check and stops on SIGTERM', async () => {
    const env = {
      // The start script runs the `node` on PATH: this one.
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`,
      FLEETPULSE_AGENT_ID: 'bundled-agent',
      FLEETPULSE_INTERVAL: '200ms',
      // The default timeout is 80% of the interval (160 ms): on a busy machine a collector
      // reading many /sys files can take longer and would count as failed.
      FLEETPULSE_COLLECTOR_TIMEOUT: '10s',
      FLEETPULSE_STATUS_FILE: join(dir, 'agent.status.json'),
    };
    // As the systemd unit and the image run it: the start script beside the bundle, which runs the
    // bundle with the agent's node flags.
    const agent = spawn(join(dir, AGENT_LAUNCHER), ['agent'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    agent.stdout.on('data', (c: Buffer) => (output += c.toString()));
    agent.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | string>((resolve) => agent.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    try {
      const metrics = await eventually(async () => {
        const { text } = await getText(`${bridge.url}/metrics`);
        return /^fleetpulse_agent_up\{instance="bundled-agent"[^}]*\} 1$/m.test(text) && /^node_cpu_seconds_total\{[^}]*instance="bundled-agent"/m.test(text) ? text : undefined;
      }, 15_000, `the bundled agent's series on the bridge (agent output: ${output})`);
      assert.match(metrics, new RegExp(`^fleetpulse_agent_info\\{instance="bundled-agent",version="${version.replace(/\./g, '\\.')}"`, 'm'));
      if (existsSync(join(dir, ADDON_FILE))) {
        // timex calls adjtimex(2) through the addon beside the bundle: koffi (node_modules, which
        // this directory has not) is never needed, and its 1.1 MB library is not in the agent's memory.
        assert.match(metrics, /^node_scrape_collector_success\{instance="bundled-agent",collector="timex"\} 1$/m);
        assert.match(metrics, /^node_timex_sync_status\{instance="bundled-agent"[^}]*\} [01]$/m);
        const mapped = readFileSync(`/proc/${agent.pid}/maps`, 'utf8');
        assert.ok(mapped.includes(join(dir, ADDON_FILE)), 'the agent has the addon beside its bundle mapped');
        assert.doesNotMatch(mapped, /koffi/);
      } else {
        // Built without a C compiler (the test above says why) and no koffi beside the bundle:
        // timex reports failure, with the reason in the agent's log, while every other collector works.
        assert.match(metrics, /^node_scrape_collector_success\{instance="bundled-agent",collector="timex"\} 0$/m);
        assert.doesNotMatch(metrics, /^node_timex_/m);
      }
      assert.match(metrics, /^node_scrape_collector_success\{instance="bundled-agent",collector="netclass"\} 1$/m);

      // UV_THREADPOOL_SIZE=16 (src/threadpool-size.ts) took effect: the first collection's statfs
      // started libuv's pool, all its threads at once, beside node's own (main, V8 workers, ...).
      const threads = readdirSync(`/proc/${agent.pid}/task`).length;
      assert.ok(threads >= 16 + 1, `${threads} threads: libuv's pool did not get 16`);
      // The start script exec'd node (same pid: Docker and systemd signal node itself) with the
      // agent's flags for this Node version.
      const cmdline = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
      assert.deepEqual(cmdline.slice(1), agentNodeArgs(bundle));

      const check = run(['agent', '--check'], env);
      assert.equal(check.status, 0, `agent --check: ${check.stdout}${check.stderr}`);
    } finally {
      agent.kill('SIGTERM');
      const force = setTimeout(() => agent.kill('SIGKILL'), 5000);
      assert.equal(await exited, 0, `exit after SIGTERM; output:\n${output}`);
      clearTimeout(force);
      assert.doesNotMatch(output, /warning/i, 'the node flags start the agent without warnings');
    }
  });

  it('where a seccomp filter forbids adjtimex(2) (systemd\'s ProtectClock=yes), timex reports 0 and the agent logs why', { skip: process.platform !== 'linux' ? 'Linux only' : !python && process.env.CI !== 'true' ? 'python3 not installed' : false }, async () => {
    // tests/helpers/deny-clock-syscalls.py makes adjtimex and clock_adjtime fail with EPERM, as
    // ProtectClock=yes does (the unit leaves it out for this reason), then execs the agent.
    const env = { PATH: process.env.PATH ?? '', FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`, FLEETPULSE_AGENT_ID: 'clockless-agent', FLEETPULSE_INTERVAL: '200ms', FLEETPULSE_COLLECTORS: 'timex,loadavg', FLEETPULSE_COLLECTOR_TIMEOUT: '10s', FLEETPULSE_PROBES: 'off', FLEETPULSE_STATUS_FILE: join(dir, 'clockless.status.json') };
    const agent = spawn('python3', [join(ROOT, 'tests/helpers/deny-clock-syscalls.py'), process.execPath, ...agentNodeArgs(bundle)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    agent.stdout.on('data', (c: Buffer) => (output += c.toString()));
    agent.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => agent.on('exit', resolve));
    try {
      const metrics = await eventually(async () => {
        const { text } = await getText(`${bridge.url}/metrics`);
        return /^node_load1\{instance="clockless-agent"/m.test(text) ? text : undefined;
      }, 15_000, `the agent's series (output: ${output})`);
      assert.match(metrics, /^node_scrape_collector_success\{instance="clockless-agent",collector="timex"\} 0$/m);
      assert.match(metrics, /^node_scrape_collector_success\{instance="clockless-agent",collector="loadavg"\} 1$/m);
      assert.doesNotMatch(metrics, /^node_timex_\w+\{instance="clockless-agent"/m);
      const failed = await eventually(async () => output.split('\n').find((l) => l.includes('msg="collector failed"') && l.includes('collector=timex')), 5_000, `the agent's log line (output: ${output})`);
      if (existsSync(join(dir, ADDON_FILE))) assert.match(failed, /adjtimex\(2\) failed with errno 1 \(EPERM\): a seccomp filter forbids it .*ProtectClock=yes/);
      else assert.match(failed, /adjtimex\(2\) cannot be called/);
    } finally {
      agent.kill('SIGTERM');
      await exited;
    }
  });

  it('the running agent has not loaded node:crypto or node:zlib (needed only for probes, TLS and a waiting outbox), nor perf_hooks or fs/promises', async () => {
    // Each built-in stays in the agent's memory once loaded (about 1 MiB for crypto and zlib, 0.5 MiB
    // for perf_hooks and fs/promises with readline under Node 22: src/lazy-builtins.ts,
    // src/monotonic-clock.ts). A preload reports the built-ins the process has loaded.
    const loaded = join(dir, 'loaded-builtins.json');
    const preload = join(dir, 'report-builtins.cjs');
    writeFileSync(preload, `setInterval(() => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)), 100).unref();\n`);
    const statusFile = join(dir, 'builtins-agent.status.json');
    const env = { PATH: process.env.PATH ?? '', FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`, FLEETPULSE_AGENT_ID: 'builtins-agent', FLEETPULSE_INTERVAL: '200ms', FLEETPULSE_COLLECTOR_TIMEOUT: '10s', FLEETPULSE_STATUS_FILE: statusFile };
    const agent = spawn(process.execPath, [...agentNodeFlags(), '--require', preload, bundle, 'agent'], { cwd: dir, env, stdio: 'ignore' });
    const exited = new Promise((resolve) => agent.on('exit', resolve));
    try {
      await eventually(async () => {
        try {
          return (JSON.parse(readFileSync(statusFile, 'utf8')) as { collections: number }).collections >= 3 || undefined;
        } catch {
          return undefined;
        }
      }, 15_000, 'three collections of the agent');
      await eventually(async () => (readdirSync(dir).includes('loaded-builtins.json') ? true : undefined), 5_000, 'the preload report');
      const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
      assert.ok(modules.includes('NativeModule net') && modules.includes('NativeModule dgram'), `the report lists the built-ins (${modules.length})`);
      assert.deepEqual(modules.filter((m) => /^NativeModule (crypto|zlib|perf_hooks|fs\/promises|internal\/readline\/interface)$/.test(m)), []);
    } finally {
      agent.kill('SIGTERM');
      await exited;
    }
  });

  it('the full CLI runs a bridge whose remote_write compresses with snappyjs: the native snappy is not beside the single file', async () => {
    const receiver = await TestReceiver.start();
    const env = { PATH: process.env.PATH ?? '', FLEETPULSE_BIND: '127.0.0.1', FLEETPULSE_INGEST_PORT: '0', FLEETPULSE_HTTP_PORT: '0', FLEETPULSE_DATA_DIR: join(dir, 'bridge-data'), FLEETPULSE_REMOTE_WRITE_URL: receiver.url };
    const server = spawn(process.execPath, [fullCli, 'server'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | string>((resolve) => server.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    let agent: ReturnType<typeof spawn> | undefined;
    try {
      const ingestPort = await eventually(async () => output.match(/msg="bridge listening" .*ingest=\S+:(\d+)/)?.[1], 15_000, 'the bundled bridge listening');
      assert.match(output, /msg="remote_write compresses with snappyjs[^"]*" .*snappy=snappyjs .*Cannot find module 'snappy'/);
      agent = spawn(process.execPath, agentNodeArgs(bundle), {
        cwd: dir,
        stdio: 'ignore',
        env: { PATH: process.env.PATH ?? '', FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`, FLEETPULSE_AGENT_ID: 'bundled-rw', FLEETPULSE_INTERVAL: '200ms', FLEETPULSE_COLLECTORS: 'loadavg', FLEETPULSE_COLLECTOR_TIMEOUT: '10s', FLEETPULSE_PROBES: 'off', FLEETPULSE_STATUS_FILE: join(dir, 'rw-agent.status.json') },
      });
      // Read back by the test receiver with the protobuf and snappy libraries.
      const load = await eventually(async () => receiver.series.find((s) => s.labels.__name__ === 'node_load1' && s.labels.instance === 'bundled-rw'), 15_000, 'node_load1 of the bundled agent at the receiver');
      assert.equal(load.labels.job, 'fleetpulse');
      assert.equal(load.samples.length, 1);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nbridge output:\n${output}`);
    } finally {
      agent?.kill('SIGKILL');
      server.kill('SIGTERM');
      const force = setTimeout(() => server.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
      await receiver.close();
    }
  });
});
