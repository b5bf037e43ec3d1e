// What makes a measurement kind (latency, bandwidth) itself: its options, how its runs are
// timed, and what a run waits for. One module per kind (kind-latency.ts, kind-bandwidth.ts),
// registered in task-kinds.ts; the rest of tasks/ asks the kind instead of testing its name.

/** One option: a whole number within bounds, with a default. */
export interface OptionRule {
  min: number;
  max: number;
  default: number;
}

/** When a run's pairs start, and how long the run works, from its start_at. */
export interface PairTiming {
  /** pairKey -> ms after the run's start at which that pair starts; pairs absent start with the run. */
  offsetsMs: Map<string, number>;
  /** From the run's start to its deadline, the margin for the results' way back included. */
  workMs: number;
}

export interface TaskKindModule {
  readonly options: Readonly<Record<string, OptionRule>>;
  /** A run waits briefly for its members' first clock offsets (its one-way figures need them). */
  readonly waitsForClockOffsets: boolean;
  /** Times a run of these ordered pairs. */
  timePairs(pairs: readonly [string, string][], options: Readonly<Record<string, number>>): PairTiming;
  /** One run's work in words, for an error saying the period is too short. */
  describeWork(pairs: number, options: Readonly<Record<string, number>>): string;
}
