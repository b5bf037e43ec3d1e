/**
 * A young-generation GC (a scavenge) while the agent is idle, shortly before each collection.
 *
 * Why: a collection allocates about 0.9 MB of short-lived objects (file contents, split lines,
 * the batch's JSON) against a 1 MiB semi-space. Left to itself, V8 scavenges in the middle of a
 * collection and promotes what is alive then to the old generation, which climbs by V8's 2 MB
 * growth step before a full GC: a 2 MiB sawtooth in the agent's RSS. Scavenged while idle just
 * before, the young generation holds the whole collection and the old generation stays flat.
 * Side by side in the agent image (Node 22, three copies each, 150 s): mean RSS 48.0-48.3 ->
 * 47.2-47.4 MiB, peak 49.0-49.2 -> 47.2-47.5, CPU per collection unchanged (the scavenge replaces
 * one V8 would have run anyway).
 *
 * When matters, measured the same way: run in the collection's own timer turn, right before
 * collectAll or right after the batch is offered, it made things worse (mean 49.2 MiB, peak 51.2):
 * it promotes what the collection and the connection hold at that moment. Hence its own turn,
 * LEAD_MS before the next collection (bench/results/2026-11-30-agent-image-rss-s12.md).
 *
 * `gc` exists only under --expose-gc, which the deployed start script passes
 * (src/agent/node-flags.ts); elsewhere (`fleetpulse agent` from dist/cli.js, tests) nothing runs.
 */
const gc = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;

/** How long before the next collection the scavenge runs. */
const LEAD_MS = 100;

export function emptyYoungGeneration(): void {
  gc?.({ type: 'minor' });
}

/** Schedules emptyYoungGeneration LEAD_MS before a collection due in `delayMs` (not for short intervals). */
export function scavengeBeforeNextCollection(delayMs: number): void {
  if (gc === undefined || delayMs <= 2 * LEAD_MS) return;
  setTimeout(emptyYoungGeneration, delayMs - LEAD_MS).unref();
}
