/** The few figures the API and console show per agent, picked from its latest batch. */
export interface AgentSummary {
  /** fleetpulse_cpu_busy_average_percent, 0-100. */
  cpuPercent: number | null;
  /** fleetpulse_memory_used_percent, 0-100. */
  memoryPercent: number | null;
  /** Used space of the root filesystem (mountpoint "/"), from node_filesystem_{size,avail}_bytes. */
  diskPercent: number | null;
}

export const EMPTY_SUMMARY: AgentSummary = { cpuPercent: null, memoryPercent: null, diskPercent: null };

type RawSample = { labels?: Record<string, unknown>; value?: unknown };
type RawFamily = { name?: unknown; samples?: unknown };

function firstValue(family: RawFamily, where?: (labels: Record<string, unknown>) => boolean): number | null {
  if (!Array.isArray(family.samples)) return null;
  for (const s of family.samples as RawSample[]) {
    if (where && !where(s?.labels ?? {})) continue;
    if (typeof s?.value === 'number' && Number.isFinite(s.value)) return s.value;
  }
  return null;
}

const isRoot = (labels: Record<string, unknown>) => labels.mountpoint === '/';

/** The families summarize() reads; a batch that changes none of them keeps its summary. */
export const SUMMARY_FAMILIES: ReadonlySet<string> = new Set([
  'fleetpulse_cpu_busy_average_percent',
  'fleetpulse_memory_used_percent',
  'node_filesystem_size_bytes',
  'node_filesystem_avail_bytes',
]);

/** Scans a batch once; unknown or malformed families are simply not used. */
export function summarize(families: readonly unknown[]): AgentSummary {
  let cpuPercent: number | null = null;
  let memoryPercent: number | null = null;
  let size: number | null = null;
  let avail: number | null = null;
  for (const raw of families) {
    const family = raw as RawFamily;
    switch (family?.name) {
      case 'fleetpulse_cpu_busy_average_percent': cpuPercent = firstValue(family); break;
      case 'fleetpulse_memory_used_percent': memoryPercent = firstValue(family); break;
      case 'node_filesystem_size_bytes': size = firstValue(family, isRoot); break;
      case 'node_filesystem_avail_bytes': avail = firstValue(family, isRoot); break;
    }
  }
  const diskPercent = size !== null && avail !== null && size > 0 ? (100 * (size - avail)) / size : null;
  return { cpuPercent, memoryPercent, diskPercent };
}
