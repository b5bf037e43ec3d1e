/** One probe that made the round trip; times in epoch ms, t1/t2 on the peer's clock. */
export interface ProbeSample {
  seq: number;
  /** Sender clock: request left. */
  t0Ms: number;
  /** Peer clock: request arrived. */
  t1Ms: number;
  /** Peer clock: reply left. */
  t2Ms: number;
  /** Sender clock: reply arrived. */
  t3Ms: number;
}

/** Each clock minus the bridge's clock, in ms (the bridge's NTP-style heartbeat estimate). */
export interface ClockOffsets {
  self: number;
  peer: number;
}

export interface OneWayStats {
  /** Mean one-way delay; null without clock offsets or without replies. */
  delaySeconds: number | null;
  /** Mean absolute difference of consecutive one-way delays; null without offsets or with fewer than 2 replies. */
  jitterSeconds: number | null;
  /** 0..1; null when it cannot be told (reverse loss when no probe arrived). */
  lossRatio: number | null;
}

export interface LatencyStats {
  sent: number;
  /** Probes that reached the peer, as the peer counted them. */
  delivered: number;
  /** Replies that came back in time. */
  replies: number;
  rtt: { minSeconds: number; avgSeconds: number; maxSeconds: number } | null;
  /** RFC 3550-style: mean |RTT(i) - RTT(i-1)| over consecutive replies in seq order. */
  jitterSeconds: number | null;
  /** Round-trip loss, 0..1. */
  lossRatio: number;
  forward: OneWayStats;
  reverse: OneWayStats;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function meanAbsDiff(values: number[]): number | null {
  if (values.length < 2) return null;
  let total = 0;
  for (let i = 1; i < values.length; i++) total += Math.abs(values[i]! - values[i - 1]!);
  return total / (values.length - 1);
}

function oneWay(delaysMs: number[] | null, lossRatio: number | null): OneWayStats {
  return {
    delaySeconds: delaysMs && delaysMs.length > 0 ? mean(delaysMs) / 1000 : null,
    jitterSeconds: delaysMs ? nullableSeconds(meanAbsDiff(delaysMs)) : null,
    lossRatio,
  };
}

const nullableSeconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
const ratio = (lost: number, of: number): number => Math.min(1, Math.max(0, lost / of));

/**
 * Turns probe timestamps into the task's figures. rtt = (t3 - t0) - (t2 - t1) removes the
 * peer's turnaround time and needs no clock agreement; one-way delays need the offsets:
 * forward = (t1 - peer) - (t0 - self), reverse = (t3 - self) - (t2 - peer).
 */
export function summarizeLatency(sent: number, delivered: number, samples: readonly ProbeSample[], offsets?: ClockOffsets): LatencyStats {
  const ordered = [...samples].sort((a, b) => a.seq - b.seq);
  const rttsMs = ordered.map((s) => s.t3Ms - s.t0Ms - (s.t2Ms - s.t1Ms));
  // The peer cannot have received fewer probes than it answered.
  const arrived = Math.max(delivered, ordered.length);
  const forwardMs = offsets ? ordered.map((s) => s.t1Ms - offsets.peer - (s.t0Ms - offsets.self)) : null;
  const reverseMs = offsets ? ordered.map((s) => s.t3Ms - offsets.self - (s.t2Ms - offsets.peer)) : null;
  return {
    sent,
    delivered: arrived,
    replies: ordered.length,
    rtt: rttsMs.length === 0 ? null : { minSeconds: Math.min(...rttsMs) / 1000, avgSeconds: mean(rttsMs) / 1000, maxSeconds: Math.max(...rttsMs) / 1000 },
    jitterSeconds: nullableSeconds(meanAbsDiff(rttsMs)),
    lossRatio: sent === 0 ? 1 : ratio(sent - ordered.length, sent),
    forward: oneWay(forwardMs, sent === 0 ? null : ratio(sent - arrived, sent)),
    reverse: oneWay(reverseMs, arrived === 0 ? null : ratio(arrived - ordered.length, arrived)),
  };
}
