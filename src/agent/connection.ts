import { connect, type Socket } from 'node:net';
import { randomHex } from '../lazy-builtins.js';
import { encodeMessage } from '../protocol/encode.js';
import { ProtocolError, ProtocolErrors, WHOLE_BATCH_REFUSALS } from '../protocol/error-codes.js';
import { LineDecoder } from '../protocol/line-decoder.js';
import { PROTOCOL_VERSION, type AgentMessage, type MetricFamily, type ProbeEndpoint, type ServerMessage, type TaskResultMessage, type TaskRevokeMessage, type TaskRunMessage, type WelcomeMessage } from '../protocol/messages.js';
import { epochMs } from '../net/epoch-clock.js';
import { parseServerMessage } from '../protocol/parse.js';
import { Heartbeat } from '../net/heartbeat.js';
import { realTimers, type Timers } from '../net/timers.js';
import type { Logger } from '../log.js';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import type { ReloadingTlsFiles } from '../net/tls-files.js';
import { explainTlsError } from './tls-problem.js';
import { BacklogReport } from './outbox/backlog-report.js';
import { DEFAULT_OUTBOX_LIMITS, DEFAULT_REPLAY } from './outbox/defaults.js';
import { Outbox } from './outbox/outbox.js';
import { OutboxSender, type ReplayPolicy } from './outbox/outbox-sender.js';

export interface BridgeAddress {
  host: string;
  port: number;
}

export interface ConnectionOptions {
  /** Bridges in order of preference (FLEETPULSE_SERVER): the agent stays on one, moves on when a connection fails. */
  bridges: readonly BridgeAddress[];
  agentId: string;
  agentVersion: string;
  labels: Record<string, string>;
  token: string | undefined;
  intervalMs: number;
  backoff: BackoffPolicy;
  /** TLS to the bridge (CA, client certificate, re-read on change); undefined: plain TCP. */
  tls?: { files: ReloadingTlsFiles; serverName: string | undefined } | undefined;
  /** How long to wait for the TCP connect plus the welcome. */
  handshakeTimeoutMs: number;
  log: Logger;
  /** The probe responder to announce in each hello; undefined: none (no tasks for this agent). */
  probe?: () => ProbeEndpoint | undefined;
  /** task_run and task_revoke from the bridge. */
  onTask?: (message: TaskRunMessage | TaskRevokeMessage) => void;
  /** Clock and timers (handshake timeout, reconnect backoff, heartbeat); tests drive them by hand. */
  timers?: Timers;
  /** Where batches wait for their ack; default: in memory with the default limits. */
  outbox?: Outbox;
  /** How fast the backlog is sent after a reconnect; default DEFAULT_REPLAY. */
  replay?: ReplayPolicy;
}

/** The bridge's answer to a batch it could not take for history now (docs/protocol.md). */
const RETRY_LATER = ProtocolErrors.RETRY_LATER.code;

export type ConnectionState = 'connecting' | 'connected' | 'waiting' | 'stopped';

const MAX_SERVER_LINE_BYTES = 1024 * 1024;
/** How long stop() waits for the bridge to close its side after our goodbye. */
const STOP_TIMEOUT_MS = 1000;
/** Until the welcome says otherwise (protocol.md: the bridge's default max line). */
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** FP_RETRY_LATER: the batch waits at least 1 s, then longer per repeated answer (full jitter). */
const RETRY_LATER_FLOOR_MS = 1000;
const RETRY_LATER_BACKOFF = { initialMs: 1000, maxMs: 60_000 };

/**
 * The agent's link to the bridge: connect, hello, send batches, heartbeat, and reconnect
 * forever with jittered exponential backoff. Every batch waits in the outbox until the bridge
 * acknowledges it; after a reconnect (to this bridge or the next) the newest goes first and
 * the backlog follows at a bounded rate (outbox/outbox-sender.ts).
 */
export class BridgeConnection {
  state: ConnectionState = 'waiting';
  /** Index in options.bridges of the bridge in use (or tried next). */
  private current = 0;
  /** Consecutive failed attempts since the last welcome. */
  private attempt = 0;
  private socket: Socket | undefined;
  readonly outbox: Outbox;
  private readonly sender: OutboxSender;
  private readonly backlogReport: BacklogReport;
  private heartbeat: Heartbeat | undefined;
  private retryTimer: unknown;
  private handshakeTimer: unknown;
  private readonly timers: Timers;
  private pingId = 0;
  private lastFatal: string | undefined;
  /** Batch-level rejections already logged at warn, so a steady problem is said once. */
  private readonly reportedRejections = new Set<string>();
  private everConnected = false;
  /** Sent in every hello: a reconnect of this process is told from a second agent with our id. */
  readonly runId = randomHex(8);
  /** Why the bridge keeps this agent out (FP_ID_CONFLICT), for the status file; undefined: nothing. */
  problem: string | undefined;
  /** FP_REPLACED in a row (each within minutes of connecting): two agents share our id. */
  private replacedStreak = 0;
  private welcomedAtMs = 0;
  /** Last welcome, for tests and status. */
  welcome: WelcomeMessage | undefined;
  acked = 0;

  constructor(private readonly options: ConnectionOptions) {
    this.timers = options.timers ?? realTimers;
    this.outbox = options.outbox ?? new Outbox({ ...DEFAULT_OUTBOX_LIMITS, log: options.log });
    this.backlogReport = new BacklogReport(options.log);
    this.sender = new OutboxSender(this.outbox, options.replay ?? DEFAULT_REPLAY, {
      writable: () => this.state === 'connected' && this.socket !== undefined && !this.socket.writableNeedDrain,
      write: (line) => this.writeLine(line),
      maxLineBytes: () => this.welcome?.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES,
    }, this.timers);
  }

  start(): void {
    if (this.options.bridges.length === 0) throw new Error('no bridge to connect to');
    this.open();
  }

  /** The bridge in use, or the one the next attempt goes to: host:port. */
  get bridge(): string {
    const { host, port } = this.options.bridges[this.current]!;
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Sends a task's results now if connected; they are not kept (the run's deadline passes anyway). */
  sendTaskResult(message: TaskResultMessage): void {
    if (this.state === 'connected') this.write(message);
  }

  /** Puts a collected batch in the outbox; it is sent at once if the link allows, else later. */
  offer(families: MetricFamily[], timestampMs = Date.now()): void {
    this.outbox.add(families, timestampMs);
    this.sender.pump();
  }

  async stop(): Promise<void> {
    const wasConnected = this.state === 'connected';
    this.state = 'stopped';
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.handshakeTimer);
    this.heartbeat?.stop();
    this.sender.stop();
    this.outbox.persist();
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      // A bridge that never closes its side must not hold the agent's exit.
      const force = this.timers.setTimeout(() => socket.destroy(), STOP_TIMEOUT_MS);
      socket.once('close', () => {
        this.timers.clearTimeout(force);
        resolve();
      });
      if (wasConnected) socket.write(encodeMessage({ type: 'goodbye', reason: 'agent stopping' }));
      socket.end();
    });
  }

  private open(): void {
    if (this.state === 'stopped') return;
    const { log } = this.options;
    const { host, port } = this.options.bridges[this.current]!;
    this.state = 'connecting';
    const tls = this.options.tls;
    const socket = tls
      ? // node:tls only when TLS is configured: it costs plain-TCP agents ~1.5 MiB of RSS otherwise.
        process.getBuiltinModule('node:tls').connect({ host, port, ...tls.files.current(), ...(tls.serverName === undefined ? {} : { servername: tls.serverName }) })
      : connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const decoder = new LineDecoder(MAX_SERVER_LINE_BYTES);
    this.handshakeTimer = this.timers.setTimeout(() => {
      log.debug('handshake timed out', { timeout_ms: this.options.handshakeTimeoutMs });
      socket.destroy();
    }, this.options.handshakeTimeoutMs);
    socket.on(tls ? 'secureConnect' : 'connect', () => {
      const probe = this.options.probe?.();
      // Peers reach our responder, by default, at the address we reach the bridge from.
      const probeAddress = probe && (probe.address ?? socket.localAddress?.replace(/^::ffff:/, ''));
      this.write({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        agent_id: this.options.agentId,
        agent_version: this.options.agentVersion,
        labels: this.options.labels,
        interval_ms: this.options.intervalMs,
        ...(this.options.token === undefined ? {} : { token: this.options.token }),
        ...(probe === undefined ? {} : { probe: probeAddress === undefined ? { port: probe.port } : { address: probeAddress, port: probe.port } }),
        run_id: this.runId,
      });
    });
    socket.on('data', (chunk: Buffer) => {
      this.heartbeat?.received();
      for (const frame of decoder.push(chunk)) {
        if (frame.kind !== 'line') {
          log.warn('bridge sent an unreadable line', { kind: frame.kind, bytes: frame.bytes });
          continue;
        }
        try {
          this.onMessage(parseServerMessage(frame.text));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          log.warn('bridge sent an invalid message', { error: err.message });
        }
      }
    });
    socket.on('drain', () => this.sender.pump());
    socket.on('error', (err) => {
      const problem = tls && explainTlsError(err, tls.serverName ?? host);
      if (!problem) return log.debug('connection error', { error: err.message });
      // Said once per distinct cause, like a refusal: it will not fix itself between retries.
      if (this.lastFatal !== problem.code) log.error('TLS connection to the bridge failed', { code: problem.code, error: problem.message });
      this.lastFatal = problem.code;
    });
    socket.on('close', () => this.onClose(socket));
  }

  private onMessage(message: ServerMessage): void {
    const { log } = this.options;
    switch (message.type) {
      case 'welcome':
        return this.onWelcome(message);
      case 'ack':
        this.acked = message.seq;
        this.outbox.ack(message.seq);
        this.backlogReport.progress(this.outbox, this.timers.now());
        return this.sender.pump();
      case 'ping': {
        // Sub-millisecond, for the bridge's clock-offset estimate (docs/protocol.md section 7).
        const t1 = epochMs();
        return this.write({ type: 'pong', id: message.id, t0: message.t0, t1, t2: epochMs() });
      }
      case 'task_run':
      case 'task_revoke':
        return this.options.onTask?.(message);
      case 'pong':
        return;
      case 'error':
        if (message.code === 'FP_SHUTTING_DOWN') {
          log.info('bridge is shutting down; will reconnect', { code: message.code });
        } else if (message.code === 'FP_ID_CONFLICT' || message.code === 'FP_REPLACED') {
          this.onIdClash(message.code, message.message);
        } else if (message.code === RETRY_LATER && message.seq !== undefined) {
          this.retryLater(message.seq, message.message);
        } else if (message.fatal) {
          // Said once per distinct cause: a wrong token would otherwise log on every retry.
          if (this.lastFatal !== message.code) log.error('bridge refused the connection', { code: message.code, error: message.message });
          this.lastFatal = message.code;
        } else {
          // Refused whole: no ack will come and resending cannot help. Other errors: the ack follows.
          if (message.seq !== undefined && WHOLE_BATCH_REFUSALS.has(message.code)) this.outbox.refused(message.seq);
          const first = !this.reportedRejections.has(message.code);
          this.reportedRejections.add(message.code);
          log[first ? 'warn' : 'debug']('bridge rejected part of a batch', { code: message.code, error: message.message, seq: message.seq });
        }
    }
  }

  /** FP_RETRY_LATER: the bridge could not take the batch for history now; it waits in the outbox. */
  private retryLater(seq: number, message: string): void {
    const delayMs = RETRY_LATER_FLOOR_MS + backoffDelayMs(this.outbox.retriesOf(seq), RETRY_LATER_BACKOFF);
    const at = this.timers.now() + delayMs;
    this.outbox.retryLater(seq, at);
    this.sender.holdBacklogUntil(at);
    const first = !this.reportedRejections.has(RETRY_LATER);
    this.reportedRejections.add(RETRY_LATER);
    this.options.log[first ? 'info' : 'debug']('bridge asks to send a batch again later; it stays in the outbox', { code: RETRY_LATER, seq, delay_ms: delayMs, error: message });
    this.sender.pump();
  }

  /**
   * Another agent uses our id. FP_ID_CONFLICT: it is connected and the bridge keeps us out; we
   * keep retrying with growing backoff (no welcome resets it) and say so once. FP_REPLACED: it
   * took our connection (an agent without run ids, or we were silent); back off the same way.
   */
  private onIdClash(code: string, message: string): void {
    const { log, agentId } = this.options;
    const hint = 'give each agent its own FLEETPULSE_AGENT_ID (the default is the hostname, shared by cloned VMs)';
    if (code === 'FP_REPLACED') {
      this.replacedStreak = Date.now() - this.welcomedAtMs < 5 * 60_000 ? this.replacedStreak + 1 : 1;
      log[this.replacedStreak === 1 ? 'warn' : 'debug']('another connection took over this agent id; backing off', { agent_id: agentId, code, error: message, hint });
      return;
    }
    if (this.lastFatal !== code) log.error('another agent with this agent id is connected to the bridge; this one stays out and retries with growing backoff', { agent_id: agentId, code, error: message, hint });
    this.lastFatal = code;
    this.problem = `${code}: another agent with id "${agentId}" is connected to the bridge; ${hint}`;
  }

  private onWelcome(welcome: WelcomeMessage): void {
    this.timers.clearTimeout(this.handshakeTimer);
    const { log } = this.options;
    if (welcome.protocol !== PROTOCOL_VERSION) {
      log.error('bridge answered with another protocol version; upgrade the older side', { ours: PROTOCOL_VERSION, theirs: welcome.protocol });
    }
    this.welcome = welcome;
    this.state = 'connected';
    log.info(this.everConnected ? 'reconnected to bridge' : 'connected to bridge', {
      bridge: this.bridge,
      server_version: welcome.server_version,
      failed_attempts: this.attempt,
      ...this.backlogReport.connected(this.outbox, this.timers.now()),
    });
    if (this.problem !== undefined) log.info('agent id is free again: this agent is in', { agent_id: this.options.agentId });
    this.everConnected = true;
    this.attempt = 0;
    this.lastFatal = undefined;
    this.problem = undefined;
    this.welcomedAtMs = Date.now();
    this.heartbeat = new Heartbeat({
      intervalMs: welcome.heartbeat_ms,
      timeoutMs: 3 * welcome.heartbeat_ms,
      sendPing: () => this.write({ type: 'ping', id: ++this.pingId, t0: Date.now() }),
      timers: this.timers,
      // Our batches and pongs already show the bridge (and NAT on the way) that we are alive.
      pingOnlyWhenIdle: true,
      onTimeout: (silentMs) => {
        log.warn('bridge silent, reconnecting', { silent_ms: silentMs });
        this.socket?.destroy();
      },
    });
    this.heartbeat.start();
    this.sender.pump();
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    this.timers.clearTimeout(this.handshakeTimer);
    this.heartbeat?.stop();
    this.heartbeat = undefined;
    this.socket = undefined;
    // Sent but unacknowledged batches wait again; they go to whichever bridge comes next.
    this.outbox.disconnected();
    this.sender.stop();
    if (this.state === 'connected') this.backlogReport.lost(this.outbox);
    if (this.state === 'stopped') return;
    const { log } = this.options;
    const failed = this.bridge;
    // With several bridges, a failed connection moves on to the next (bridges share nothing).
    if (this.options.bridges.length > 1) this.current = (this.current + 1) % this.options.bridges.length;
    // After FP_REPLACED the welcome reset `attempt`: the streak keeps two agents with one id from fighting.
    const delayMs = backoffDelayMs(Math.max(this.attempt, this.replacedStreak), this.options.backoff);
    // One line per change of state at info/warn; individual retries only at debug.
    if (this.state === 'connected') log.warn('lost connection to bridge, reconnecting', { bridge: failed, next: this.bridge });
    // After a refusal (FP_AUTH_FAILED, ...) the bridge was reached: its error was logged already.
    else if (this.attempt === 0 && !this.everConnected && this.lastFatal === undefined) log.warn('cannot reach bridge yet, retrying', { bridge: failed, next: this.bridge });
    log.debug('reconnect scheduled', { attempt: this.attempt + 1, delay_ms: delayMs, bridge: this.bridge });
    this.attempt++;
    this.state = 'waiting';
    this.retryTimer = this.timers.setTimeout(() => this.open(), delayMs);
  }

  private write(message: AgentMessage): void {
    this.writeLine(encodeMessage(message));
  }

  private writeLine(line: string): void {
    if (!this.socket || this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(line);
    this.heartbeat?.sent();
  }
}
