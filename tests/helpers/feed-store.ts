import { BatchIntake } from '../../src/server/ingest/batch-intake.js';
import type { AgentStore } from '../../src/server/store/agent-store.js';

const intakes = new WeakMap<AgentStore, BatchIntake>();

/** The session's way into a store (validate, then store), for tests that feed it batches directly. */
export function feed(store: AgentStore, maxSeriesPerAgent = 1000): BatchIntake {
  let intake = intakes.get(store);
  if (!intake) {
    intake = new BatchIntake(store, { maxSeriesPerAgent });
    intakes.set(store, intake);
  }
  return intake;
}
