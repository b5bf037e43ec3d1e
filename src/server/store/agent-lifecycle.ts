import type { TimerHandle, Timers } from '../../net/timers.js';

// When agents come and go. Contract:
// - connect() marks an agent connected and returns a lease; only that lease's disconnect()
//   counts, so an old connection closing after a newer one took over changes nothing.
// - disconnect() makes it down (connection lost) or departed (it said goodbye) at once; after
//   the grace period its series expire, and later the agent itself is forgotten: forgetMs
//   after a loss (so alerts on fleetpulse_agent_up == 0 keep firing instead of resolving by
//   absence), departedForgetMs after a goodbye (a deliberate stop: listed as departed, which
//   AgentDown leaves alone and AgentDeparted reports when the agent does not come back).
// - a reconnect before expiry continues seamlessly: nothing expires.
// - restore() takes back what a previous run of the bridge knew (see agent-registry.ts): an
//   agent connected then, or down, is down now and forgotten forgetMs after its connection was
//   lost (when it was last heard, if the bridge stopped first); a departed one stays departed
//   until departedForgetMs after the goodbye.

export const AGENT_STATES = ['connected', 'down', 'departed'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface LifecycleOptions {
  /** Fixed grace period; when undefined, 3 of the agent's own intervals. */
  graceMs: number | undefined;
  /** Cap of the default grace period: an agent cannot keep its series longer by claiming a long interval. */
  maxGraceMs?: number | undefined;
  forgetMs: number;
  /** How long a departed agent stays listed; undefined: forgetMs. */
  departedForgetMs?: number | undefined;
}

/** What the lifecycle tells its owner; each is called from a timer, for the current lease only. */
export interface LifecycleEvents {
  /** The grace period after a disconnect has passed: drop the agent's series. */
  expired(id: string): void;
  /** Forget the agent entirely. */
  forgotten(id: string): void;
}

/** What a previous run of the bridge recorded of an agent's life. */
export interface RecordedLife {
  readonly state: AgentState;
  readonly connectedSince: number;
  readonly lastSeen: number;
  readonly disconnectedAt: number | undefined;
}

/** One agent's connection history, read-only outside this file. */
export interface Life {
  readonly state: AgentState;
  readonly lease: number;
  readonly connectedSince: number;
  readonly lastSeen: number;
  readonly disconnectedAt: number | undefined;
}

interface MutableLife {
  state: AgentState;
  lease: number;
  connectedSince: number;
  lastSeen: number;
  disconnectedAt: number | undefined;
  expiry: TimerHandle | undefined;
  forget: TimerHandle | undefined;
}

export class AgentLifecycle {
  private readonly lives = new Map<string, MutableLife>();
  private nextLease = 1;

  constructor(
    private readonly options: LifecycleOptions,
    private readonly timers: Timers,
    private readonly events: LifecycleEvents,
  ) {}

  /** The agent is connected from now on; returns the new connection's lease. */
  connect(id: string): Life {
    const now = this.timers.now();
    const life = this.lives.get(id);
    const lease = this.nextLease++;
    if (life) {
      cancelTimers(life);
      Object.assign(life, { state: 'connected', lease, connectedSince: now, lastSeen: now, disconnectedAt: undefined });
      return life;
    }
    const born: MutableLife = { state: 'connected', lease, connectedSince: now, lastSeen: now, disconnectedAt: undefined, expiry: undefined, forget: undefined };
    this.lives.set(id, born);
    return born;
  }

  /**
   * The lease's connection ended; intervalMs is the agent's push interval (for the default grace).
   * @param departed the agent said goodbye
   * @returns false when the lease is not the agent's current connection (nothing changed)
   */
  disconnect(id: string, lease: number, intervalMs: number, departed: boolean): boolean {
    const life = this.lives.get(id);
    if (!life || life.lease !== lease || life.state !== 'connected') return false;
    life.state = departed ? 'departed' : 'down';
    life.disconnectedAt = this.timers.now();
    const graceMs = this.options.graceMs ?? Math.min(3 * intervalMs, this.options.maxGraceMs ?? Infinity);
    life.expiry = this.timers.setTimeout(() => {
      life.expiry = undefined;
      this.events.expired(id);
    }, graceMs);
    const forgetMs = departed ? (this.options.departedForgetMs ?? this.options.forgetMs) : this.options.forgetMs;
    life.forget = this.timers.setTimeout(() => this.forget(id, lease), Math.max(forgetMs, graceMs));
    return true;
  }

  /**
   * Takes back a life recorded by a previous run, as down or departed (never connected: the
   * agent has to connect to this run). intervalMs is the agent's push interval (default grace).
   * @returns the restored life, or undefined when it is already due to be forgotten (or known)
   */
  restore(id: string, recorded: RecordedLife, intervalMs: number): Life | undefined {
    if (this.lives.has(id)) return undefined;
    const now = this.timers.now();
    const departed = recorded.state === 'departed';
    const graceMs = this.options.graceMs ?? Math.min(3 * intervalMs, this.options.maxGraceMs ?? Infinity);
    // A connection that was open when the bridge stopped ended, as far as anyone knows, when the agent was last heard.
    const disconnectedAt = recorded.state === 'connected' || recorded.disconnectedAt === undefined ? recorded.lastSeen : recorded.disconnectedAt;
    // The same deadlines as disconnect() set in the run that saw the agent go.
    const forgetMs = departed ? (this.options.departedForgetMs ?? this.options.forgetMs) : this.options.forgetMs;
    const forgetAt = disconnectedAt + Math.max(forgetMs, graceMs);
    if (forgetAt <= now) return undefined;
    const lease = this.nextLease++;
    const life: MutableLife = {
      state: departed ? 'departed' : 'down',
      lease,
      connectedSince: recorded.connectedSince,
      lastSeen: recorded.lastSeen,
      disconnectedAt,
      expiry: undefined,
      forget: undefined,
    };
    life.forget = this.timers.setTimeout(() => this.forget(id, lease), forgetAt - now);
    this.lives.set(id, life);
    return life;
  }

  /** Heard from the agent. */
  touch(id: string): number | undefined {
    const life = this.lives.get(id);
    if (!life) return undefined;
    life.lastSeen = this.timers.now();
    return life.lastSeen;
  }

  get(id: string): Life | undefined {
    return this.lives.get(id);
  }

  now(): number {
    return this.timers.now();
  }

  /** Cancels every timer, for a clean shutdown. */
  close(): void {
    for (const life of this.lives.values()) cancelTimers(life);
  }

  private forget(id: string, lease: number): void {
    const life = this.lives.get(id);
    if (!life || life.lease !== lease || life.state === 'connected') return;
    cancelTimers(life);
    this.lives.delete(id);
    this.events.forgotten(id);
  }
}

function cancelTimers(life: MutableLife): void {
  life.expiry?.cancel();
  life.forget?.cancel();
  life.expiry = undefined;
  life.forget = undefined;
}
