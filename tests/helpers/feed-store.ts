import { BatchIntake, type RepeatResult } from '../../src/server/ingest/batch-intake.js';
import type { AgentStore } from '../../src/server/store/agent-store.js';
import type { IngestResult } from '../../src/server/store/series-store.js';
import { defaultIngestLimits } from './bridge.js';

export interface Feed {
  /** A parsed batch's families, validated and stored as the session does; stamped by default at the store's clock. */
  batch(agentId: string, families: readonly unknown[], timestampMs?: number): IngestResult;
  /** A metrics line tried on the repeat path, as the session does. */
  repeat(agentId: string, line: string): RepeatResult | undefined;
}

const feeds = new WeakMap<AgentStore, Feed>();

/** The session's way into a store (validate, then store), for tests that feed it batches directly. */
export function feed(store: AgentStore, maxSeriesPerAgent = 1000): Feed {
  let found = feeds.get(store);
  if (!found) {
    const intake = new BatchIntake(store, { ...defaultIngestLimits(), maxSeriesPerAgent });
    found = {
      batch: (agentId, families, timestampMs = store.now()) => intake.batch(agentId, families, timestampMs),
      repeat: (agentId, line) => intake.repeat(agentId, line),
    };
    feeds.set(store, found);
  }
  return found;
}
