import { encodeMessage } from '../../protocol/encode.js';
import type { MetricFamily } from '../../protocol/messages.js';

/**
 * A batch is serialised once, when it enters the outbox: the same line goes on the wire on
 * every send, and (compressed) into memory or a file while it waits for its ack.
 */
export function metricsLine(seq: number, timestampMs: number, families: MetricFamily[]): string {
  return encodeMessage({ type: 'metrics', seq, timestamp_ms: timestampMs, families });
}

/** The line marked `"replay":true` (informational for the bridge), without parsing it again. */
export function asReplay(line: string): string {
  // Every line ends with '}\n' (encodeMessage), so the flag goes last; the bridge's repeat fast
  // path does not take such a line, which suits a batch older than the bridge's live view.
  return `${line.slice(0, -2)},"replay":true}\n`;
}

/** The head every line of batch `seq` starts with; a restored batch is checked against it. */
export function lineHead(seq: number): string {
  return `{"type":"metrics","seq":${seq},"timestamp_ms":`;
}
