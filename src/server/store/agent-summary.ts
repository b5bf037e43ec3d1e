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
type Figure = 'cpu' | 'memory' | 'size' | 'avail';

const FIGURES: Record<string, Figure> = {
  fleetpulse_cpu_busy_average_percent: 'cpu',
  fleetpulse_memory_used_percent: 'memory',
  node_filesystem_size_bytes: 'size',
  node_filesystem_avail_bytes: 'avail',
};
/** Filesystem figures are those of the root mount; the others have one sample. */
const usesSample = (figure: Figure, sample: RawSample): boolean => (figure !== 'size' && figure !== 'avail') || sample?.labels?.mountpoint === '/';

/** One figure's candidate samples in a batch: the first finite value among them counts. */
interface Source {
  /** Position of the family in the batch. */
  family: number;
  /** Positions of the candidate samples in the family, and their latest values. */
  samples: number[];
  values: unknown[];
}

/**
 * The samples an agent's summary is read from, by their position in its batch, with their
 * latest values. A batch read without JSON.parse (ingest/repeat-batch.ts) reports the new
 * values at these positions, so the summary always comes from values as the agent sent them.
 */
export class SummaryInputs {
  /** Positions in the batch of the families the summary reads. */
  readonly families: ReadonlySet<number>;

  private constructor(private readonly sources: Partial<Record<Figure, Source>>) {
    this.families = new Set(Object.values(sources).map((s) => s.family));
  }

  static readonly EMPTY = new SummaryInputs({});

  /** Scans a parsed batch once; unknown or malformed families are simply not used. */
  static of(families: readonly unknown[]): SummaryInputs {
    const sources: Partial<Record<Figure, Source>> = {};
    families.forEach((raw, family) => {
      const f = raw as RawFamily;
      const figure = typeof f?.name === 'string' ? FIGURES[f.name] : undefined;
      if (figure === undefined) return;
      // A family sent twice: the last one counts.
      const source: Source = { family, samples: [], values: [] };
      if (Array.isArray(f.samples)) {
        (f.samples as RawSample[]).forEach((sample, i) => {
          if (!usesSample(figure, sample)) return;
          source.samples.push(i);
          // A "-0" stays -0 here (the repeat path reads it as 0): harmless, the summary only leaves as JSON, where it is 0.
          source.values.push(sample?.value);
        });
      }
      sources[figure] = source;
    });
    return new SummaryInputs(sources);
  }

  /** New values from a repeat: per family position, each sample's value, undefined where unchanged. */
  update(changed: ReadonlyMap<number, readonly (number | undefined)[]>): void {
    for (const source of Object.values(this.sources)) {
      const values = changed.get(source.family);
      if (!values) continue;
      source.samples.forEach((sample, k) => {
        const value = values[sample];
        if (value !== undefined) source.values[k] = value;
      });
    }
  }

  summary(): AgentSummary {
    const size = this.first('size');
    const avail = this.first('avail');
    const diskPercent = size !== null && avail !== null && size > 0 ? (100 * (size - avail)) / size : null;
    return { cpuPercent: this.first('cpu'), memoryPercent: this.first('memory'), diskPercent };
  }

  private first(figure: Figure): number | null {
    for (const value of this.sources[figure]?.values ?? []) {
      if (typeof value === 'number' && Number.isFinite(value)) return value;
    }
    return null;
  }
}

/** The summary of a parsed batch. */
export function summarize(families: readonly unknown[]): AgentSummary {
  return SummaryInputs.of(families).summary();
}
