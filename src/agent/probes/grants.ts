import { MIN_SECRET_BYTES, isValidTaskId } from './auth.js';
import { monoMs } from './clock.js';
import { MAX_PROBE_SEQ } from './udp-packet.js';

/** Distinct seqs seen in one latency session: a fixed bitmap, so memory is bounded. */
class SeqSet {
  private readonly bits = new Uint8Array(MAX_PROBE_SEQ / 8);
  size = 0;

  /** False when seq was already there (a duplicate or a replay). */
  add(seq: number): boolean {
    const byte = seq >> 3;
    const bit = 1 << (seq & 7);
    if ((this.bits[byte]! & bit) !== 0) return false;
    this.bits[byte]! |= bit;
    this.size++;
    return true;
  }
}

export type ProbeRecord = 'new' | 'replay' | 'session_limit';

/** One task's permission to be probed, as granted by the bridge. */
export class Grant {
  private readonly sessions = new Map<string, SeqSet>();
  private readonly sinkSessions = new Set<string>();

  constructor(
    readonly taskId: string,
    readonly secret: Buffer,
    public expiresAtMs: number,
    private readonly maxSessions: number,
  ) {}

  /** Notes that a probe arrived; each (session, seq) is answered once, which defeats replays. */
  recordProbe(sessionId: string, seq: number): ProbeRecord {
    let seen = this.sessions.get(sessionId);
    if (!seen) {
      if (this.sessions.size >= this.maxSessions) return 'session_limit';
      seen = new SeqSet();
      this.sessions.set(sessionId, seen);
    }
    return seen.add(seq) ? 'new' : 'replay';
  }

  /** Distinct probes of this session that arrived so far (0 for a session never seen). */
  receivedCount(sessionId: string): number {
    return this.sessions.get(sessionId)?.size ?? 0;
  }

  /** A sink session id may open one transfer only. */
  recordSink(sessionId: string): ProbeRecord {
    if (this.sinkSessions.has(sessionId)) return 'replay';
    if (this.sinkSessions.size >= this.maxSessions) return 'session_limit';
    this.sinkSessions.add(sessionId);
    return 'new';
  }
}

export interface GrantTableOptions {
  /** Monotonic ms; injectable for tests. */
  nowMs?: () => number;
  /** Latency sessions (and separately sink sessions) per grant; more are refused. */
  maxSessionsPerGrant?: number;
}

/** The set of tasks this agent currently answers probes for. Expired grants vanish on lookup. */
export class GrantTable {
  private readonly grants = new Map<string, Grant>();
  private readonly nowMs: () => number;
  private readonly maxSessions: number;

  constructor(options: GrantTableOptions = {}) {
    this.nowMs = options.nowMs ?? monoMs;
    this.maxSessions = options.maxSessionsPerGrant ?? 256;
  }

  /**
   * Answers probes of taskId signed with secret for ttlMs. Granting again with the same
   * secret only extends the grant (replay memory is kept); a new secret starts afresh.
   * Throws RangeError for an invalid task id, a short secret or a bad ttl.
   */
  allow(taskId: string, secret: string, ttlMs: number): void {
    if (!isValidTaskId(taskId)) throw new RangeError(`invalid probe task id ${JSON.stringify(taskId)}`);
    const key = Buffer.from(secret, 'utf8');
    if (key.length < MIN_SECRET_BYTES) throw new RangeError(`probe secret must be at least ${MIN_SECRET_BYTES} bytes`);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`probe grant ttl must be a positive number of ms, got ${ttlMs}`);
    this.sweep();
    const expiresAtMs = this.nowMs() + ttlMs;
    const existing = this.grants.get(taskId);
    if (existing && existing.secret.equals(key)) existing.expiresAtMs = expiresAtMs;
    else this.grants.set(taskId, new Grant(taskId, key, expiresAtMs, this.maxSessions));
  }

  revoke(taskId: string): boolean {
    return this.grants.delete(taskId);
  }

  lookup(taskId: string): Grant | undefined {
    const grant = this.grants.get(taskId);
    if (grant && grant.expiresAtMs <= this.nowMs()) {
      this.grants.delete(taskId);
      return undefined;
    }
    return grant;
  }

  get size(): number {
    this.sweep();
    return this.grants.size;
  }

  private sweep(): void {
    const now = this.nowMs();
    for (const [taskId, grant] of this.grants) if (grant.expiresAtMs <= now) this.grants.delete(taskId);
  }
}
