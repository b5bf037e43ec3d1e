import type { Socket } from 'node:net';
import { ProtocolError, ProtocolErrors, protocolError, type ProtocolErrorSpec } from '../../protocol/error-codes.js';
import { encodeMessage } from '../../protocol/encode.js';
import { LineDecoder, type DecodedFrame } from '../../protocol/line-decoder.js';
import { PROTOCOL_VERSION, type AgentMessage, type MetricsMessage, type ServerMessage, type TaskResultMessage, type TaskRevokeMessage, type TaskRunMessage } from '../../protocol/messages.js';
import { parseAgentMessage } from '../../protocol/parse.js';
import { Networks, probeDialAddress } from '../../net/address-policy.js';
import { ClockFilter } from '../../net/clock-filter.js';
import { epochMs } from '../../net/epoch-clock.js';
import { Heartbeat } from '../../net/heartbeat.js';
import type { Logger } from '../../log.js';
import type { BridgeOptions } from '../options.js';
import type { SelfMetrics } from '../own-metrics/self-metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import type { AgentStatus } from '../store/agent-record.js';
import type { RemoteWrite } from '../remote-write/remote-write.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';
import { BatchIntake } from './batch-intake.js';
import { checkHello } from './check-hello.js';
import type { Proof } from '../auth/agent-authenticator.js';
import type { RefusalLog } from './refusal-log.js';
import { looksLikeMetrics } from './repeat-batch.js';
import { VERSION } from '../../version.js';


/**
 * Longest line before a hello was accepted: a hello is small (static labels at most 16 KiB),
 * so a stranger cannot make the bridge buffer a full metrics line per connection.
 */
export const MAX_HELLO_LINE_BYTES = 32 * 1024;
/**
 * Logged by the listener rather than per attempt: failed authentications by its AuthThrottle,
 * once per source and minute; id conflicts loudly when one starts, then at debug.
 */
const LOGGED_BY_LISTENER: ReadonlySet<ProtocolErrorSpec> = new Set([ProtocolErrors.AUTH_FAILED, ProtocolErrors.IDENTITY_MISMATCH, ProtocolErrors.ID_CONFLICT]);
/** A peer that leaves this much unread output is frozen; drop it rather than buffer forever. */
const MAX_PENDING_WRITE_BYTES = 1024 * 1024;
/** Per batch, how many family rejections are reported back individually. */
const MAX_ERRORS_PER_BATCH = 10;

export interface SessionDeps {
  store: AgentStore;
  metrics: SelfMetrics;
  options: BridgeOptions;
  /** Checks the hello's credentials (src/server/auth); throws a fatal ProtocolError. */
  authenticate(agentId: string, token: string | undefined): Proof;
  /** Networks whose addresses peers may dial though special or merely advertised (FLEETPULSE_PROBE_NETWORKS). */
  probeNetworks?: Networks;
  /** Throws when a live session holds the id with stronger proof. */
  checkTakeover(agentId: string, proof: Proof): void;
  /**
   * Called once hello passed its checks, so the listener can close an older session of the
   * same id. Throws a ProtocolError when the agent may not connect (no agent slot left).
   */
  claim(agentId: string, session: AgentSession): void;
  /** Called once when the session ends. */
  release(session: AgentSession): void;
  /**
   * Where batches go for history (remote_write). When set, a batch's ack waits until every
   * receiver has it (docs/remote-write.md); unset, batches are acked once stored.
   */
  history?: Pick<RemoteWrite, 'offer'> | undefined;
  /** Where refusals are logged: the first of a peer in full, then a summary a minute. */
  refusals: RefusalLog;
  /** A task_result from this (helloed) agent; the task scheduler checks it against its runs. */
  onTaskResult?(agentId: string, message: TaskResultMessage): void;
}

const NO_NETWORKS = new Networks([]);

/** Pings whose pong may still come back; older pongs are ignored for the clock estimate. */
const PINGS_REMEMBERED = 8;
/**
 * A busy link (acks, tasks) shows the agent the bridge is alive without pings: then only every
 * this many heartbeat intervals a ping, for the clock offset. Pings and their pongs were half
 * of the socket writes and reads of an agent pushing every heartbeat interval.
 */
const CLOCK_PING_INTERVALS = 4;

/**
 * One agent connection: handshake first (nothing else is accepted before a valid hello),
 * then metrics batches, pings and pongs. Errors go to the peer as `error` messages.
 */
export class AgentSession {
  agentId: string | undefined;
  /** How this session proved its agent id (set at hello). */
  proof: Proof = 'none';
  /** The agent process's random id from its hello (undefined: an agent that sends none). */
  runId: string | undefined;
  private lease = 0;
  private closed = false;
  private readonly decoder: LineDecoder;
  private readonly intake: BatchIntake;
  private readonly helloTimer: NodeJS.Timeout;
  private heartbeat: Heartbeat | undefined;
  private pingId = 0;
  /** Our send time (epoch ms, sub-ms) of recent pings by id: the pong's own t0 is not trusted. */
  private readonly pingsSent = new Map<number, number>();
  /** When the chunk being handled arrived: t3 of a pong in it. */
  private receivedAtMs = 0;
  private readonly clock = new ClockFilter();
  /** The agent announced a deliberate stop: forget it after the grace period. */
  private departed = false;
  /** Whether a goodbye of this session may make the agent go (see mayDepart()). */
  private mayDepart = true;
  private log: Logger;
  readonly address: string;

  constructor(
    private readonly socket: Socket,
    private readonly deps: SessionDeps,
  ) {
    this.address = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    this.log = deps.options.log.child({ remote: `${this.address}:${socket.remotePort ?? 0}` });
    this.decoder = new LineDecoder(Math.min(MAX_HELLO_LINE_BYTES, deps.options.maxLineBytes));
    this.intake = new BatchIntake(deps.store, deps.options);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug('socket error', { error: err.message }));
    socket.on('close', () => this.onClose());
    this.helloTimer = setTimeout(() => {
      this.fail(protocolError('HELLO_TIMEOUT', `no hello within ${deps.options.helloTimeoutMs} ms`));
    }, deps.options.helloTimeoutMs);
  }

  /** Ends the session with an error the peer can read. */
  fail(error: ProtocolError): void {
    if (this.closed) return;
    this.reject(error);
    if (error.spec.fatal) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    // A peer that never reads its side would keep the socket half-closed; bound that.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.cleanup();
  }

  /** Whether anything arrived from the peer within the last `ms` (heartbeats answer every period). */
  heardWithin(ms: number): boolean {
    return !this.closed && epochMs() - this.receivedAtMs <= ms;
  }

  /** Hands a task message to the agent; false when the connection is gone or not helloed. */
  sendTask(message: TaskRunMessage | TaskRevokeMessage): boolean {
    if (this.closed || this.agentId === undefined) return false;
    this.send(message);
    return !this.closed;
  }

  private onData(chunk: Buffer): void {
    this.receivedAtMs = epochMs();
    this.deps.metrics.bytesReceived.inc(chunk.length);
    this.heartbeat?.received();
    for (const frame of this.decoder.push(chunk)) {
      if (this.closed) return;
      this.deps.metrics.framesReceived.inc();
      try {
        this.onFrame(frame);
      } catch (err) {
        if (!(err instanceof ProtocolError)) return this.failInternally(err);
        // Before the handshake, nothing about the peer is known: any error ends it.
        this.fail(this.agentId === undefined ? asFatal(err) : err);
      }
    }
  }

  /** A bug met while handling this peer: close this connection only, never the process. */
  private failInternally(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.log.error('internal error while handling a connection; closing it', { error: error.message, stack: error.stack });
    try {
      this.fail(protocolError('INTERNAL', 'the bridge failed while handling this connection'));
    } catch {
      this.socket.destroy();
    }
  }

  private onFrame(frame: DecodedFrame): void {
    if (frame.kind === 'oversized') {
      const limit = this.decoder.limit;
      const before = this.agentId === undefined ? ' before a hello' : '';
      throw protocolError('LINE_TOO_LONG', `a line grew past the limit of ${limit} bytes${before} (${frame.bytes} bytes so far); the rest of it is discarded`);
    }
    if (frame.kind === 'invalid_utf8') throw protocolError('BAD_JSON', `a line of ${frame.bytes} bytes is not valid UTF-8`);
    // Most batches repeat the agent's previous one with new values: store those without JSON.parse.
    if (this.agentId !== undefined && looksLikeMetrics(frame.text)) {
      const repeat = this.intake.repeat(this.agentId, frame.text);
      if (repeat) {
        this.deps.metrics.samplesIngested.inc(repeat.samples);
        return this.deliver(repeat.seq, repeat.samples, repeat.families, repeat.timestampMs, true);
      }
    }
    const message = parseAgentMessage(frame.text);
    if (this.agentId === undefined && message.type !== 'hello') {
      throw protocolError('HELLO_REQUIRED', `got "${message.type}" before hello`);
    }
    this.dispatch(message);
  }

  private dispatch(message: AgentMessage): void {
    switch (message.type) {
      case 'hello':
        if (this.agentId !== undefined) throw protocolError('BAD_MESSAGE', 'hello was already received on this connection');
        return this.onHello(this.authenticated(checkHello(message, undefined, this.deps.options), message.token));
      case 'metrics':
        return this.onMetrics(message);
      case 'ping': {
        const t1 = Date.now();
        this.deps.store.touch(this.agentId!);
        return this.send({ type: 'pong', id: message.id, t0: message.t0, t1, t2: Date.now() });
      }
      case 'pong': {
        this.deps.store.touch(this.agentId!);
        const t0 = this.pingsSent.get(message.id);
        this.pingsSent.delete(message.id);
        // The agent's clock minus the bridge's (NTP clock filter over heartbeats), kept by the store.
        if (t0 !== undefined && this.clock.add(t0, message.t1, message.t2, this.receivedAtMs)) {
          this.deps.store.setClockOffset(this.agentId!, this.lease, this.clock.best()?.offsetMs);
        }
        return;
      }
      case 'task_result':
        this.deps.onTaskResult?.(this.agentId!, message);
        return;
      case 'goodbye':
        if (!this.mayDepart) {
          this.log.warn('goodbye ignored: this session took over an agent listed as down from another address without proving its id, so the agent stays listed as down', { reason: message.reason });
          return;
        }
        this.log.info('agent said goodbye', { reason: message.reason });
        this.departed = true;
        return;
    }
  }

  /** Credentials are checked in src/server/auth before the session takes the id. */
  private authenticated(hello: ReturnType<typeof checkHello>, token: string | undefined): ReturnType<typeof checkHello> {
    const proof = this.deps.authenticate(hello.id, token);
    this.deps.checkTakeover(hello.id, proof);
    this.proof = proof;
    return hello;
  }

  private onHello(hello: ReturnType<typeof checkHello>): void {
    const { options, store } = this.deps;
    const previous = store.get(hello.id);
    if (previous === undefined && store.size >= options.maxAgents) {
      throw protocolError('TOO_MANY_AGENTS', `the bridge already knows ${store.size} agents (connected or listed as down), its limit`);
    }
    this.runId = hello.runId;
    this.deps.claim(hello.id, this);
    this.mayDepart = mayDepart(this.proof, previous, this.address);
    clearTimeout(this.helloTimer);
    this.agentId = hello.id;
    this.decoder.setLimit(options.maxLineBytes);
    this.log = this.log.child({ agent: hello.id });
    const { probe, probeProblem, runId: _runId, ...agent } = hello;
    // Peers dial the address we saw the agent connect from, unless the operator allows the advertised one.
    const dial = probe && probeDialAddress(this.address, probe.address, this.deps.probeNetworks ?? NO_NETWORKS);
    const endpoint = probe && dial?.address !== undefined ? { address: dial.address, port: probe.port } : undefined;
    this.lease = store.connect({ ...agent, address: this.address, probe: endpoint });
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      server_version: VERSION,
      heartbeat_ms: options.heartbeatMs,
      max_line_bytes: options.maxLineBytes,
      max_series: options.maxSeriesPerAgent,
      ...(this.deps.history ? { history: true } : {}),
    });
    this.heartbeat = new Heartbeat({
      intervalMs: options.heartbeatMs,
      timeoutMs: 3 * options.heartbeatMs,
      pingOnlyWhenIdle: true,
      pingAtLeastEvery: CLOCK_PING_INTERVALS,
      sendPing: () => this.ping(),
      onTimeout: (silentMs) => this.fail(protocolError('HEARTBEAT_TIMEOUT', `nothing received for ${silentMs} ms`)),
    });
    this.heartbeat.start();
    // A first clock-offset sample now, rather than one heartbeat later.
    this.ping();
    if (probeProblem !== undefined) this.reject(protocolError('BAD_MESSAGE', probeProblem));
    for (const note of dial?.notes ?? []) this.reject(protocolError('PROBE_ADDRESS', note));
    this.log.info('agent connected', { version: hello.agentVersion, labels: JSON.stringify(hello.labels) });
  }

  private ping(): void {
    const id = ++this.pingId;
    const t0 = epochMs();
    this.pingsSent.set(id, t0);
    if (this.pingsSent.size > PINGS_REMEMBERED) this.pingsSent.delete(id - PINGS_REMEMBERED);
    this.send({ type: 'ping', id, t0 });
  }

  private onMetrics(batch: MetricsMessage): void {
    const { metrics } = this.deps;
    let result;
    try {
      result = this.intake.batch(this.agentId!, batch.families, batch.timestamp_ms);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return this.reject(err, batch.seq); // the whole batch was refused; the previous snapshot stays
    }
    metrics.samplesIngested.inc(result.samples);
    for (const [i, error] of result.rejected.entries()) {
      if (i < MAX_ERRORS_PER_BATCH) this.reject(error, batch.seq);
      else metrics.framesRejected.inc({ reason: error.spec.reason });
    }
    this.deliver(batch.seq, result.samples, result.families, batch.timestamp_ms, result.applied);
  }

  /**
   * Acks a stored batch: at once, or with remote_write once every receiver has it. When the
   * bridge cannot take it for history now, FP_RETRY_LATER tells the agent to keep it.
   * @param live the batch became the agent's snapshot (else a replay, sent behind live batches)
   */
  private deliver(seq: number, samples: number, families: readonly RenderedFamily[], timestampMs: number, live: boolean): void {
    const history = this.deps.history;
    if (!history) return this.send({ type: 'ack', seq, samples });
    const outcome = history.offer({ families, timestampMs, live, agent: this.deps.store.get(this.agentId!) }, () => this.send({ type: 'ack', seq, samples }));
    if (outcome === 'full') this.reject(protocolError('RETRY_LATER', 'the bridge\'s remote_write queue is full (a receiver is slow or down)'), seq);
    else if (outcome === 'closing') this.reject(protocolError('RETRY_LATER', 'the bridge is shutting down'), seq);
  }

  /** Counts, logs and reports one error to the peer. */
  private reject(error: ProtocolError, seq?: number): void {
    const { spec } = error;
    this.deps.metrics.framesRejected.inc({ reason: spec.reason });
    if (this.agentId !== undefined) this.deps.store.noteError(this.agentId, `${spec.code}: ${error.message}`);
    if (!LOGGED_BY_LISTENER.has(spec)) this.deps.refusals.refused(this.agentId ?? this.address, this.log, error, seq);
    this.send({ type: 'error', code: spec.code, message: `${error.message} (${spec.hint})`, fatal: spec.fatal, ...(seq === undefined ? {} : { seq }) });
  }

  private send(message: ServerMessage): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(encodeMessage(message));
    // Our own pings do not make the link busy: an idle agent is still pinged every interval.
    if (message.type !== 'ping') this.heartbeat?.sent();
    if (this.socket.writableLength > MAX_PENDING_WRITE_BYTES) {
      this.log.warn('dropping agent that stopped reading', { code: ProtocolErrors.SLOW_CONSUMER.code, pending_bytes: this.socket.writableLength });
      this.deps.metrics.framesRejected.inc({ reason: ProtocolErrors.SLOW_CONSUMER.reason });
      this.closed = true;
      this.socket.destroy();
      this.cleanup();
    }
  }

  private onClose(): void {
    if (this.agentId !== undefined) this.log.info('agent disconnected');
    this.closed = true;
    this.cleanup();
  }

  private cleanup(): void {
    clearTimeout(this.helloTimer);
    this.heartbeat?.stop();
    if (this.agentId !== undefined && this.lease !== 0) {
      this.deps.store.disconnect(this.agentId, this.lease, this.departed);
      this.lease = 0;
    }
    this.deps.release(this);
  }
}

function asFatal(error: ProtocolError): ProtocolError {
  if (error.spec.fatal) return error;
  const spec: ProtocolErrorSpec = { ...error.spec, fatal: true };
  return new ProtocolError(spec, `${error.message}; closing because no valid hello was received yet`);
}

/**
 * A goodbye makes an agent disappear instead of staying listed as down, so AgentDown resolves.
 * Only a session that proved the id itself (certificate, the id's own token) may always say
 * it; otherwise the session must continue the agent: a new id, one that was connected (its
 * real owner then reconnects and takes it back), or one last seen from this same address.
 * A stranger cannot make a dead agent's `up 0` vanish by a hello and goodbye under its id.
 */
function mayDepart(proof: Proof, previous: AgentStatus | undefined, address: string): boolean {
  if (proof === 'certificate' || proof === 'agent-token') return true;
  return previous === undefined || previous.connected || previous.address === address;
}
