import type { MetricType } from './messages.js';
import { AGENT_FAMILIES } from './known-families.generated.js';

/**
 * The families the fleetpulse agent itself emits (its host collectors with node_exporter's names,
 * the textfile collector's own, the probe responder's), with the TYPE and HELP it gives them.
 * The bridge holds these headers: no sender can redefine them (docs/protocol.md, "Known families").
 * Generated from the collectors' output by scripts/known-families.ts, never edited by hand.
 */
export interface KnownFamily {
  readonly type: MetricType;
  readonly help: string;
}

const KNOWN: ReadonlyMap<string, KnownFamily> = new Map(AGENT_FAMILIES.map(([name, type, help]) => [name, { type, help }]));

export function knownFamily(name: string): KnownFamily | undefined {
  return KNOWN.get(name);
}

export const KNOWN_FAMILY_NAMES: readonly string[] = AGENT_FAMILIES.map(([name]) => name);
