import type { MetricType } from './messages.js';
import { AGENT_FAMILIES } from './known-families.generated.js';
import { RESERVED_METRIC_PREFIXES } from './names.js';

/**
 * The families the fleetpulse agent itself emits (its host collectors with node_exporter's names,
 * the textfile collector's own, the probe responder's), with the TYPE and HELP it gives them.
 * The bridge holds these headers: no sender can redefine them (docs/protocol.md, "Known families").
 * Generated from the collectors' output by scripts/known-families.ts, never edited by hand.
 * The bridge's alone: the agent imports none of this module (its 600 names and HELP texts would
 * sit in every agent's heap; tests/deploy/bundle.test.ts keeps it out of the agent's build).
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

/** fleetpulse_ names the reference agent itself sends; every other fleetpulse_ name is the bridge's. */
export const AGENT_FLEETPULSE_FAMILIES: ReadonlySet<string> = new Set(KNOWN_FAMILY_NAMES.filter((name) => name.startsWith('fleetpulse_')));

/**
 * Why an agent may not send a family of this name, or undefined: Prometheus sets `up` and
 * `scrape_*` on every target itself (its own alerts read them), and `fleetpulse_*` is ours.
 */
export function reservedMetricNameProblem(name: string): string | undefined {
  if (name === 'up' || name.startsWith('scrape_')) return `${name}: up and scrape_* are set by Prometheus on every target; an agent may not send them`;
  if (name.startsWith('fleetpulse_') && !AGENT_FLEETPULSE_FAMILIES.has(name)) {
    return `${name}: fleetpulse_* names are the bridge's and the reference agent's own (${RESERVED_METRIC_PREFIXES.join(', ')} and the agent's families); rename the metric`;
  }
  return undefined;
}
