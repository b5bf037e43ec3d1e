import type { Logger } from '../../log.js';
import { backgroundTimers, type Timers } from '../../net/timers.js';
import type { ProtocolError } from '../../protocol/error-codes.js';

const WINDOW_MS = 60_000;
/** Peers summarised separately at most; past it, the rest share one summary. */
const MAX_PEERS = 10_000;
const OTHERS = '(other peers)';

interface Window {
  /** Where the summary goes: the logger of the peer's latest session (its agent id, address). */
  log: Logger;
  /** Refusals since the last line, by code. */
  codes: Map<string, number>;
  fatal: boolean;
  timer: unknown;
}

/**
 * Logs refused frames without letting one misbehaving agent flood the log: a peer's first
 * refusal in full (code, message, hint, seq), then one summary a minute while it goes on
 * ("refused N more frames in the last minute", by code); after a quiet minute the next one is
 * logged in full again. fleetpulse_bridge_frames_rejected_total still counts every one.
 */
export class RefusalLog {
  private readonly peers = new Map<string, Window>();

  /** @param log for the summary of peers past MAX_PEERS */
  constructor(
    private readonly log: Logger,
    private readonly timers: Timers = backgroundTimers,
  ) {}

  /** @param peer the agent id, or the address before a hello */
  refused(peer: string, log: Logger, error: ProtocolError, seq?: number): void {
    const { spec } = error;
    const key = this.peers.has(peer) || this.peers.size < MAX_PEERS ? peer : OTHERS;
    const window = this.peers.get(key);
    if (window === undefined) {
      log[spec.fatal ? 'warn' : 'info']('rejected', { code: spec.code, error: error.message, hint: spec.hint, seq });
      this.peers.set(key, { log: key === OTHERS ? this.log : log, codes: new Map(), fatal: false, timer: this.timers.setTimeout(() => this.summarise(key), WINDOW_MS) });
      return;
    }
    window.log = key === OTHERS ? this.log : log;
    window.codes.set(spec.code, (window.codes.get(spec.code) ?? 0) + 1);
    window.fatal ||= spec.fatal;
  }

  /** Cancels the pending summaries (the bridge is stopping). */
  close(): void {
    for (const window of this.peers.values()) this.timers.clearTimeout(window.timer);
    this.peers.clear();
  }

  private summarise(key: string): void {
    const window = this.peers.get(key);
    if (window === undefined) return;
    if (window.codes.size === 0) {
      this.peers.delete(key);
      return;
    }
    let count = 0;
    for (const n of window.codes.values()) count += n;
    const codes = [...window.codes].map(([code, n]) => `${code}:${n}`).join(',');
    window.log[window.fatal ? 'warn' : 'info'](`refused ${count} more frames from ${key} in the last minute`, {
      count,
      codes,
      note: 'after the first refusal a peer is logged once a minute; fleetpulse_bridge_frames_rejected_total counts every refusal by reason',
    });
    window.codes = new Map();
    window.fatal = false;
    window.timer = this.timers.setTimeout(() => this.summarise(key), WINDOW_MS);
  }
}
