import { createLogger, type Logger } from '../../../src/log.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { Outbox, type OutboxOptions } from '../../../src/agent/outbox/outbox.js';
import type { OutboxLink } from '../../../src/agent/outbox/outbox-sender.js';

/** A batch shaped like a host's: `series` series of a few families, values depending on `n`. */
export function batch(n: number, series = 200): MetricFamily[] {
  const families: MetricFamily[] = [];
  for (let f = 0; f < 10; f++) {
    families.push({
      name: `node_test_family_${f}_total`,
      type: 'counter',
      help: `Test family ${f} of the outbox tests.`,
      samples: Array.from({ length: series / 10 }, (_, i) => ({ labels: { device: `dev${i}`, mode: `mode${f}` }, value: n * 1000 + f * 37 + i * 0.5 })),
    });
  }
  return families;
}

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it was told, to count lines (one per outage, not per batch). */
export function recordingLog(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  const log = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

export function memoryOutbox(overrides: Partial<OutboxOptions> = {}): Outbox {
  return new Outbox({ maxBytes: 8 * 1024 * 1024, maxAgeMs: 3_600_000, log: createLogger('error'), ...overrides });
}

/** The link as the sender sees it, recording each line written; `open` and `backedUp` are switches. */
export function fakeLink(maxLineBytes = 1 << 20): OutboxLink & { lines: string[]; open: boolean; backedUp: boolean; seqs(): number[]; replays(): boolean[] } {
  const link = {
    lines: [] as string[],
    open: true,
    backedUp: false,
    writable: () => link.open && !link.backedUp,
    write: (line: string) => void link.lines.push(line),
    maxLineBytes: () => maxLineBytes,
    seqs: () => link.lines.map((l) => (JSON.parse(l) as { seq: number }).seq),
    replays: () => link.lines.map((l) => (JSON.parse(l) as { replay?: boolean }).replay === true),
  };
  return link;
}
