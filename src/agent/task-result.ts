import type { BandwidthResult, LatencyResult, ProbeFailure } from './probes/index.js';
import type { ProbeFigure, WireProbeResult } from '../protocol/messages.js';

/** Turns a probe engine result into a task_result entry for the pair (this agent -> dst). */
export function wireResult(dst: string, result: LatencyResult | BandwidthResult | ProbeFailure): WireProbeResult {
  if (!result.ok) return { dst, ok: false, reason: result.reason, message: result.message };
  const figures: Partial<Record<ProbeFigure, number | null>> =
    'bitsPerSecond' in result
      ? { bandwidth_bits_per_second: result.bitsPerSecond }
      : {
          rtt_min_seconds: result.rtt?.minSeconds ?? null,
          rtt_avg_seconds: result.rtt?.avgSeconds ?? null,
          rtt_max_seconds: result.rtt?.maxSeconds ?? null,
          jitter_seconds: result.jitterSeconds,
          loss_ratio: result.lossRatio,
          // This agent sent, so the forward direction is the pair's src -> dst.
          one_way_delay_seconds: result.forward.delaySeconds,
          one_way_jitter_seconds: result.forward.jitterSeconds,
          one_way_loss_ratio: result.forward.lossRatio,
        };
  const entry: WireProbeResult = { dst, ok: true };
  // The wire never carries null: a figure that does not apply is left out.
  for (const [name, value] of Object.entries(figures) as [ProbeFigure, number | null][]) if (value !== null) entry[name] = value;
  return entry;
}
