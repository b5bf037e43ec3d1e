import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { measureLatency } from '../../src/agent/probes/index.js';
import { relayTruth, startUdpRelay, type UdpRelay } from '../agent/probes/udp-relay.js';
import { eventually, getText } from '../helpers/http.js';
import type { PairResultView, TaskView } from '../helpers/task-views.js';
import { LineClient } from '../helpers/line-client.js';
import { closedUdpPort } from '../helpers/ports.js';
import { killAll, probePortOf, restartBridgeProcess, runCli, startBridgeProcess, type BridgeProcess, type RunningProcess } from '../helpers/processes.js';

// Measurement tasks end to end: a bridge and agents as child processes on 127.0.0.1, driven
// through the HTTP API only, checked through the API, /metrics and the data directory.

const ADMIN = 'e2e-admin-token';
const MEMBERS = ['ta', 'tb', 'tc'];
const PERIOD_S = 10;

let ingestPort: number;
let httpPort: number;
let dataDir: string;
let bridge: BridgeProcess;
const agents = new Map<string, RunningProcess>();
const clients: LineClient[] = [];
const relays: UdpRelay[] = [];

type Result = PairResultView;

const base = () => `http://127.0.0.1:${httpPort}`;

// Every agent here is on loopback, which peers never dial unless allowed.
const bridgeEnv = () => ({ FLEETPULSE_HEARTBEAT: '1s', FLEETPULSE_DATA_DIR: dataDir, FLEETPULSE_ADMIN_TOKEN: ADMIN, FLEETPULSE_PROBE_NETWORKS: '127.0.0.0/8' });

async function startAgent(id: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const agent = runCli(['agent'], {
    FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`,
    FLEETPULSE_AGENT_ID: id,
    // Few, cheap collectors: this is about tasks, and a busy agent delays its probe timestamps.
    FLEETPULSE_INTERVAL: '5s',
    FLEETPULSE_COLLECTORS: 'loadavg,meminfo',
    FLEETPULSE_RECONNECT_MAX: '1s',
    FLEETPULSE_PROBE_BIND: '127.0.0.1',
    // The responder binds whatever port the kernel gives; the agent announces that one.
    FLEETPULSE_PROBE_PORT: '0',
    FLEETPULSE_STATUS_FILE: join(dataDir, `${id}.status.json`),
    ...env,
  });
  agents.set(id, agent);
  return agent;
}

async function api(method: string, path: string, options: { body?: unknown; raw?: string; token?: string | null; contentType?: string; authorization?: string } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? ADMIN : options.token;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${base()}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const getTask = async (id: string): Promise<TaskView> => (await api('GET', `/api/tasks/${id}`)).json.data as TaskView;
const taskOnDisk = async (id: string): Promise<TaskView> => JSON.parse(await readFile(join(dataDir, 'tasks', `${id}.json`), 'utf8')) as TaskView;
/** The task files, without the temp file of a save under way (`.<id>.json.tmp-<random>`, util/atomic-file.ts). */
const taskFiles = async (): Promise<string[]> => (await readdir(join(dataDir, 'tasks'))).filter((name) => /^t_[0-9a-f]{20}\.json$/.test(name)).sort();
const metrics = async (): Promise<string> => (await getText(`${base()}/metrics`)).text;
const iso = (ms: number) => new Date(ms).toISOString();

function taskBody(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'e2e mesh', type: 'latency', members: MEMBERS, start: iso(Date.now()), end: iso(Date.now() + 3600_000), period_seconds: PERIOD_S, ...patch };
}

async function createTask(patch: Record<string, unknown> = {}): Promise<TaskView> {
  const { status, json } = await api('POST', '/api/tasks', { body: taskBody(patch) });
  assert.equal(status, 201, JSON.stringify(json));
  return json.data as TaskView;
}

/** Each of these pairs has a result newer than sinceMs that passes `check`. */
async function pairsSatisfy(id: string, pairs: [string, string][], sinceMs: number, check: (r: Result) => boolean): Promise<TaskView | undefined> {
  const task = await getTask(id);
  const fresh = (src: string, dst: string) => task.results.find((r) => r.src === src && r.dst === dst && Date.parse(r.at) > sinceMs);
  return pairs.every(([src, dst]) => { const r = fresh(src, dst); return r !== undefined && check(r); }) ? task : undefined;
}

const pairsOf = (members: string[]): [string, string][] => members.flatMap((s) => members.filter((d) => d !== s).map((d): [string, string] => [s, d]));
const offsetsKnown = async (ids: string[]) => {
  const text = await metrics();
  return ids.every((id) => new RegExp(`^fleetpulse_agent_clock_offset_seconds\\{instance="${id}"\\} `, 'm').test(text));
};

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fp-e2e-tasks-'));
  bridge = await startBridgeProcess(bridgeEnv());
  ({ ingestPort, httpPort } = bridge);
  for (const id of MEMBERS) await startAgent(id);
  await eventually(() => offsetsKnown(MEMBERS), 20_000, 'agents connected with clock offsets');
});

after(async () => {
  for (const c of clients) c.close();
  await Promise.all(relays.map((r) => r.close()));
  await killAll();
  await rm(dataDir, { recursive: true, force: true });
});

describe('measurement tasks (bridge and agents as child processes)', () => {
  let mesh: TaskView;

  it('a latency task produces results for all six ordered pairs, in the API and on /metrics', async () => {
    const createdAt = Date.now();
    mesh = await createTask({ description: 'three agents on loopback' });
    assert.match(mesh.id, /^t_[0-9a-f]{20}$/);
    assert.deepEqual(mesh.options, { count: 10, interval_ms: 10 });
    assert.equal(mesh.status, 'running');
    const done = await eventually(() => pairsSatisfy(mesh.id, pairsOf(MEMBERS), createdAt, (r) => r.ok), 3 * PERIOD_S * 1000, 'six ok pairs');
    for (const r of done.results) {
      assert.equal(r.reason, null);
      assert.ok((r.rtt_min_seconds as number) > 0 && (r.rtt_min_seconds as number) <= (r.rtt_avg_seconds as number) && (r.rtt_avg_seconds as number) <= (r.rtt_max_seconds as number), JSON.stringify(r));
      assert.equal(r.loss_ratio, 0);
      assert.equal(typeof r.one_way_delay_seconds, 'number', 'clock offsets were known, so one-way figures are there');
      assert.equal(r.bandwidth_bits_per_second, null);
    }
    console.log(`# latency on loopback: ${done.results.map((r) => `${r.src}->${r.dst} rtt ${((r.rtt_avg_seconds as number) * 1000).toFixed(3)} ms, one-way ${((r.one_way_delay_seconds as number) * 1000).toFixed(3)} ms`).join('; ')}`);
    const text = await metrics();
    for (const [src, dst] of pairsOf(MEMBERS)) {
      const labels = `task="${mesh.id}",src="${src}",dst="${dst}"`;
      for (const stat of ['min', 'avg', 'max']) assert.match(text, new RegExp(`^fleetpulse_probe_rtt_seconds\\{${labels},stat="${stat}"\\} \\S+$`, 'm'));
      for (const name of ['jitter_seconds', 'loss_ratio', 'one_way_delay_seconds', 'one_way_jitter_seconds', 'one_way_loss_ratio', 'last_run_timestamp_seconds']) {
        assert.match(text, new RegExp(`^fleetpulse_probe_${name}\\{${labels}\\} \\S+$`, 'm'), name);
      }
    }
    assert.match(text, new RegExp(`^fleetpulse_task_info\\{task="${mesh.id}",name="e2e mesh",type="latency",status="running"\\} 1$`, 'm'));
    // The task file is named by id and holds no secret.
    const file = await readFile(join(dataDir, 'tasks', `${mesh.id}.json`), 'utf8');
    assert.equal(JSON.parse(file).name, 'e2e mesh');
    assert.doesNotMatch(file + JSON.stringify(await getTask(mesh.id)), /secret/i);
  });

  it('bad input gets the right status and a precise error, and changes nothing', async () => {
    const listBefore = (await api('GET', '/api/tasks')).json.data as TaskView[];
    const filesBefore = await taskFiles();
    const now = Date.now();
    const cases: [string, Promise<{ status: number; json: Record<string, unknown> }>, number, string, RegExp][] = [
      ['no token', api('POST', '/api/tasks', { body: taskBody(), token: null }), 401, 'unauthorized', /Authorization: Bearer/],
      ['wrong token', api('POST', '/api/tasks', { body: taskBody(), token: 'guess' }), 401, 'unauthorized', /does not match/],
      ['not a bearer header', api('POST', '/api/tasks', { body: taskBody(), authorization: `Basic ${ADMIN}` }), 401, 'unauthorized', /not "Bearer <token>"/],
      ['delete without token', api('DELETE', `/api/tasks/${mesh.id}`, { token: null }), 401, 'unauthorized', /Bearer/],
      ['bad JSON', api('POST', '/api/tasks', { raw: '{"name": "x",' }), 400, 'bad_request', /not valid JSON/],
      ['empty body', api('POST', '/api/tasks', { raw: '' }), 400, 'bad_request', /empty/],
      ['not JSON content', api('POST', '/api/tasks', { raw: 'name=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type', /application\/json/],
      ['oversized body', api('POST', '/api/tasks', { body: taskBody({ description: 'x'.repeat(70 * 1024) }) }), 413, 'payload_too_large', /larger than 65536 bytes/],
      ['not an object', api('POST', '/api/tasks', { body: [1, 2] }), 400, 'bad_request', /JSON object/],
      ['end before start', api('POST', '/api/tasks', { body: taskBody({ start: iso(now + 7200_000), end: iso(now + 3600_000) }) }), 400, 'bad_request', /^end: .* is not after start/],
      ['unknown member', api('POST', '/api/tasks', { body: taskBody({ members: ['ta', 'nobody'] }) }), 400, 'bad_request', /^members: unknown agent "nobody"/],
      ['duplicate member', api('POST', '/api/tasks', { body: taskBody({ members: ['ta', 'ta'] }) }), 400, 'bad_request', /^members: "ta" is listed twice/],
      ['one member', api('POST', '/api/tasks', { body: taskBody({ members: ['ta'] }) }), 400, 'bad_request', /^members: has 1 agents/],
      ['period too small', api('POST', '/api/tasks', { body: taskBody({ period_seconds: 5 }) }), 400, 'bad_request', /^period_seconds: must be a whole number from 10 to 86400/],
      ['period too large', api('POST', '/api/tasks', { body: taskBody({ period_seconds: 86_401 }) }), 400, 'bad_request', /^period_seconds: /],
      ['period too short for the work', api('POST', '/api/tasks', { body: taskBody({ type: 'bandwidth', options: { duration_ms: 10_000 } }) }), 400, 'bad_request', /^period_seconds: 10 is too short: .*6 transfers/],
      ['name too long', api('POST', '/api/tasks', { body: taskBody({ name: 'n'.repeat(65) }) }), 400, 'bad_request', /^name: is 65 characters long/],
      ['name with a path', api('POST', '/api/tasks', { body: taskBody({ name: '../../etc/passwd' }) }), 400, 'bad_request', /^name: .* may only use letters/],
      ['name with markup', api('POST', '/api/tasks', { body: taskBody({ name: '<img src=x onerror=alert(1)>' }) }), 400, 'bad_request', /^name: /],
      ['unknown field', api('POST', '/api/tasks', { body: taskBody({ id: 't_00000000000000000000' }) }), 400, 'bad_request', /^id: unknown field/],
      ['prototype key', api('POST', '/api/tasks', { raw: JSON.stringify(taskBody()).replace(/^\{/, '{"__proto__":{"admin":true},') }), 400, 'bad_request', /^__proto__: unknown field/],
      ['bad option', api('POST', '/api/tasks', { body: taskBody({ options: { count: 0 } }) }), 400, 'bad_request', /^options\.count: must be a whole number from 1 to 100/],
      ['unknown option', api('POST', '/api/tasks', { body: taskBody({ options: { duration_ms: 1000 } }) }), 400, 'bad_request', /^options\.duration_ms: unknown option for a latency task/],
      ['bad type', api('POST', '/api/tasks', { body: taskBody({ type: 'shell' }) }), 400, 'bad_request', /^type: must be one of/],
      ['bad date', api('POST', '/api/tasks', { body: taskBody({ start: 'now' }) }), 400, 'bad_request', /^start: must be an ISO 8601 date-time/],
      ['unknown task', api('GET', '/api/tasks/t_ffffffffffffffffffff'), 404, 'not_found', /no task with id/],
      ['not an id', api('GET', '/api/tasks/..%2F..%2Fetc'), 404, 'not_found', /no task with id/],
      ['delete unknown', api('DELETE', '/api/tasks/t_ffffffffffffffffffff'), 404, 'not_found', /no task with id/],
      ['method', api('PUT', '/api/tasks', { body: taskBody() }), 405, 'method_not_allowed', /PUT is not allowed/],
    ];
    for (const [what, answer, status, errorType, error] of cases) {
      const { status: got, json } = await answer;
      assert.equal(got, status, `${what}: ${JSON.stringify(json)}`);
      assert.equal(json.status, 'error', what);
      assert.equal(json.errorType, errorType, what);
      assert.match(String(json.error), error, what);
    }
    const listAfter = (await api('GET', '/api/tasks')).json.data as TaskView[];
    assert.deepEqual(listAfter.map((t) => t.id), listBefore.map((t) => t.id));
    assert.deepEqual(await taskFiles(), filesBefore);
  });

  it('a bridge restart (same data dir) keeps the task and resumes its schedule', async () => {
    // A SIGKILL keeps what was last saved: wait until the save of the latest results is on disk
    // (the file is written after the API shows them; its fsync can take long on a busy disk).
    const before = await eventually(async () => {
      const shown = await getTask(mesh.id);
      return isDeepStrictEqual((await taskOnDisk(mesh.id)).results, shown.results) && shown;
    }, 10_000, 'the latest results saved in the task file');
    await bridge.proc.kill('SIGKILL');
    const restartingAt = Date.now();
    bridge = await restartBridgeProcess(bridge, bridgeEnv());
    const restartedAt = Date.now();
    const after = await getTask(mesh.id);
    for (const field of ['id', 'name', 'start', 'end', 'period_seconds', 'options', 'members', 'created_at', 'results'] as const) assert.deepEqual(after[field], before[field], field);
    const nextMs = Date.parse(after.next_run_at!);
    assert.ok(nextMs >= restartingAt, 'no slot from before the restart: missed slots are not run at once');
    assert.equal((nextMs - Date.parse(after.start)) % (PERIOD_S * 1000), 0, 'the next run is on the task\'s grid');
    assert.match(await metrics(), new RegExp(`^fleetpulse_task_info\\{task="${mesh.id}",`, 'm'));
    // The agents come back and the next slot runs all six pairs again.
    await eventually(() => pairsSatisfy(mesh.id, pairsOf(MEMBERS), restartedAt, (r) => r.ok), 3 * PERIOD_S * 1000, 'six ok pairs after the restart');
  });

  it('a member killed mid-task makes its own pairs fail as offline, while the others keep succeeding', async () => {
    await agents.get('tc')!.kill('SIGKILL');
    const killedAt = Date.now();
    const withC = pairsOf(MEMBERS).filter(([s, d]) => s === 'tc' || d === 'tc');
    const withoutC = pairsOf(['ta', 'tb']);
    const task = await eventually(async () => {
      const t = await pairsSatisfy(mesh.id, withC, killedAt, (r) => !r.ok && r.reason === 'offline');
      return t && (await pairsSatisfy(mesh.id, withoutC, killedAt, (r) => r.ok));
    }, 3 * PERIOD_S * 1000, 'offline pairs for tc, ok pairs for ta and tb');
    assert.equal(task.status, 'running');
    assert.match(task.status_reason!, /tc is not connected/);
    const text = await metrics();
    for (const [src, dst] of withC) {
      assert.match(text, new RegExp(`^fleetpulse_probe_failures_total\\{task="${mesh.id}",src="${src}",dst="${dst}",reason="offline"\\} [1-9]`, 'm'));
      assert.doesNotMatch(text, new RegExp(`^fleetpulse_probe_rtt_seconds\\{task="${mesh.id}",src="${src}",dst="${dst}",`, 'm'), 'no stale figures for a failed pair');
    }
    for (const [src, dst] of withoutC) assert.doesNotMatch(text, new RegExp(`^fleetpulse_probe_failures_total\\{task="${mesh.id}",src="${src}",dst="${dst}",reason="offline"`, 'm'));
  });

  it('deleting a task stops it, removes its series and file, and its secret is no longer answered', async () => {
    // A test agent, a member like any other, that keeps the secret it was handed.
    const spy = await LineClient.connect(ingestPort);
    clients.push(spy);
    spy.hello('spy', { probe: { address: '127.0.0.1', port: await closedUdpPort() } });
    await spy.waitFor((m) => m.type === 'welcome');
    const runs: Record<string, unknown>[] = [];
    const pong = setInterval(() => {
      for (const m of spy.received.splice(0)) if (m.type === 'ping') spy.send({ type: 'pong', id: m.id, t0: m.t0, t1: Date.now(), t2: Date.now() });
        else if (m.type === 'task_run') runs.push(m);
    }, 20);
    try {
      // 100 probes 50 ms apart: the run, and the grant with it, lasts well beyond the checks below.
      const task = await createTask({ name: 'spied', members: ['ta', 'spy'], period_seconds: 20, options: { count: 100, interval_ms: 50 } });
      const run = await eventually(() => runs.find((m) => m.task_id === task.id), 5000, 'task_run for the spy');
      const target = (run.targets as { agent_id: string; address: string; port: number }[])[0]!;
      assert.equal(target.agent_id, 'ta');
      const probe = () => measureLatency({ host: target.address, port: target.port, taskId: task.id, secret: run.secret as string, count: 3, intervalMs: 10, timeoutMs: 300 });
      const answered = await eventually(async () => { const r = await probe(); return r.ok ? r : undefined; }, 3000, 'probe answered while the task exists');
      assert.equal(answered.replies, 3);

      const { status, json } = await api('DELETE', `/api/tasks/${task.id}`);
      assert.equal(status, 200);
      assert.deepEqual(json, { status: 'success', data: { id: task.id } });
      assert.ok(Date.now() < (run.deadline_ms as number) - 3000, 'still well within the run, so only the revoke can stop the answers');
      const stale = await eventually(async () => { const r = await probe(); return r.ok ? undefined : r; }, 3000, 'probe no longer answered');
      assert.equal(stale.reason, 'timeout');
      assert.equal((await api('GET', `/api/tasks/${task.id}`)).status, 404);
      assert.ok(!(await readdir(join(dataDir, 'tasks'))).includes(`${task.id}.json`));
      assert.doesNotMatch(await metrics(), new RegExp(`task="${task.id}"`));
    } finally {
      clearInterval(pong);
      spy.close();
    }
  });

  it('a bandwidth task between two loopback agents gives a positive rate each way', async () => {
    const createdAt = Date.now();
    const task = await createTask({ name: 'throughput', type: 'bandwidth', members: ['ta', 'tb'], options: { duration_ms: 1000 } });
    assert.deepEqual(task.options, { duration_ms: 1000 });
    const done = await eventually(() => pairsSatisfy(task.id, pairsOf(['ta', 'tb']), createdAt, (r) => r.ok && (r.bandwidth_bits_per_second as number) > 0), 2 * PERIOD_S * 1000, 'two rates');
    console.log(`# loopback TCP throughput: ${done.results.map((r) => `${r.src}->${r.dst} ${((r.bandwidth_bits_per_second as number) / 1e9).toFixed(2)} Gbit/s`).join('; ')}`);
    for (const r of done.results) assert.equal(r.rtt_avg_seconds, null);
    assert.match(await metrics(), new RegExp(`^fleetpulse_probe_bandwidth_bits_per_second\\{task="${task.id}",src="ta",dst="tb"\\} \\d`, 'm'));
    assert.equal((await api('DELETE', `/api/tasks/${task.id}`)).status, 200);
  });

  it('reports the delay and loss of a known path accurately through the whole pipeline', async () => {
    // tr's responder is reached through a relay adding 20 ms each way and dropping every 5th
    // datagram towards it; tr advertises the relay's address, so only ta -> tr goes through it.
    // The relay's timers run late on a busy machine: it records what it saw and did with each
    // probe, and the figures are checked against that, not against the nominal 20 ms.
    const ONE_WAY_MS = 20;
    /** Each process's epochMs is within about 1.5 ms of the wall clock: two may disagree by 3. */
    const CLOCK_SLACK_MS = 3;
    /** Average time for ta to take in a reply the relay has sent (another process: a wake-up). */
    const RECEIVE_MS = 20;
    const relay = await startUdpRelay({ target: { host: '127.0.0.1', port: 0 }, delayMs: ONE_WAY_MS, dropForward: (n) => n % 5 === 0 });
    relays.push(relay);
    const tr = await startAgent('tr', { FLEETPULSE_PROBE_ADDRESS: `127.0.0.1:${relay.port}` });
    relay.target = { host: '127.0.0.1', port: await probePortOf(tr) };
    await eventually(() => offsetsKnown(['ta', 'tr']), 15_000, 'tr connected with a clock offset');
    // The bridge's estimate of tr's clock minus ta's, sampled all through the run (it changes
    // once per heartbeat, and the run used one of the values seen).
    const offsetsSeen: number[] = [];
    const sampleOffsets = async () => {
      const text = await metrics();
      const of = (id: string) => 1000 * Number(new RegExp(`^fleetpulse_agent_clock_offset_seconds\\{instance="${id}"\\} (\\S+)$`, 'm').exec(text)![1]);
      offsetsSeen.push(of('tr') - of('ta'));
    };
    await sampleOffsets();
    const createdAt = Date.now();
    // One run only (the first slot is now, the next an hour away): one session through the relay.
    const task = await createTask({ name: 'relay', members: ['ta', 'tr'], period_seconds: 3600, options: { count: 50, interval_ms: 10 } });
    const done = await eventually(async () => {
      await sampleOffsets();
      return pairsSatisfy(task.id, pairsOf(['ta', 'tr']), createdAt, (r) => r.ok);
    }, 3 * PERIOD_S * 1000, 'both pairs measured');
    const [offsetBefore, offsetAfter] = [Math.min(...offsetsSeen), Math.max(...offsetsSeen)];
    const via = done.results.find((r) => r.src === 'ta')!;
    const direct = done.results.find((r) => r.src === 'tr')!;
    const ms = (v: unknown) => (v as number) * 1000;
    const sessions = relay.sessions();
    assert.equal(sessions.length, 1, 'only ta -> tr went through the relay, once');
    const truth = relayTruth(relay.relayed(sessions[0]!));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const floorMs = mean(truth.rttFloorMs);
    console.log(`# through the relay (nominal 20 ms each way, every 5th datagram to tr dropped): rtt min/avg/max ${ms(via.rtt_min_seconds).toFixed(2)}/${ms(via.rtt_avg_seconds).toFixed(2)}/${ms(via.rtt_max_seconds).toFixed(2)} ms against the relay's floor ${floorMs.toFixed(2)} ms (held ${mean(truth.forwardHeldMs).toFixed(2)} + ${mean(truth.reverseHeldMs).toFixed(2)} ms), loss ${via.loss_ratio}, one-way ${ms(via.one_way_delay_seconds).toFixed(2)} ms (packets say ${mean(truth.forwardMs).toFixed(2)} ms, offsets tr-ta ${offsetBefore.toFixed(2)}..${offsetAfter.toFixed(2)} ms), one-way loss ${via.one_way_loss_ratio}; direct back: rtt ${ms(direct.rtt_avg_seconds).toFixed(3)} ms, loss ${direct.loss_ratio}`);
    // The drop rule is exact: 10 of every 50 consecutive probes, so loss is exactly 0.2, all towards tr.
    assert.equal(via.loss_ratio, 0.2);
    assert.equal(via.one_way_loss_ratio, 0.2);
    assert.equal(truth.count, 40, 'the relay carried 40 round trips');
    // Round trip: at least the relay's floor (ta cannot have the reply before the relay sent
    // it), and above it only by ta's own receive time.
    const receiveMs = ms(via.rtt_avg_seconds) - floorMs;
    assert.ok(receiveMs >= -CLOCK_SLACK_MS && receiveMs <= RECEIVE_MS, `rtt avg ${ms(via.rtt_avg_seconds).toFixed(2)} ms, relay floor ${floorMs.toFixed(2)} ms`);
    assert.ok(ms(via.rtt_min_seconds) >= Math.min(...truth.rttFloorMs) - CLOCK_SLACK_MS, 'rtt min not below the floor');
    assert.ok(ms(via.rtt_max_seconds) >= Math.max(...truth.rttFloorMs) - CLOCK_SLACK_MS, 'rtt max not below the floor');
    // One-way: t1 - t0 from the packets themselves, corrected by the offsets the bridge estimated.
    const low = mean(truth.forwardMs) - Math.max(offsetBefore, offsetAfter) - CLOCK_SLACK_MS;
    const high = mean(truth.forwardMs) - Math.min(offsetBefore, offsetAfter) + CLOCK_SLACK_MS;
    assert.ok(ms(via.one_way_delay_seconds) >= low && ms(via.one_way_delay_seconds) <= high, `one-way ${ms(via.one_way_delay_seconds).toFixed(2)} ms, expected ${low.toFixed(2)}..${high.toFixed(2)} ms`);
    assert.ok(Math.min(...truth.forwardHeldMs, ...truth.reverseHeldMs) >= ONE_WAY_MS - 1, 'the relay held every packet at least its nominal delay');
    assert.equal(direct.loss_ratio, 0);
    assert.equal(direct.ok, true);
  });
});
