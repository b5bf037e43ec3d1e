import { monotonicMs } from '../monotonic-clock.js';
import type { MetricFamily, Sample } from '../protocol/messages.js';
import { gauge } from './collectors/family.js';
import type { Collector } from './collectors/types.js';

export interface CollectorFailure {
  collector: string;
  /** The error message, or "timed out after N ms". For logging; the bridge only sees success=0. */
  error: string;
}

export interface CollectResult {
  /** Families of every collector that succeeded, then node_scrape_collector_{success,duration_seconds}. */
  families: MetricFamily[];
  failures: CollectorFailure[];
}

export interface CollectOptions {
  /** Per collector; a collector still running then is abandoned and counts as failed. */
  timeoutMs: number;
}

type Outcome = { ok: true; families: MetricFamily[]; seconds: number } | { ok: false; error: string; seconds: number };

/**
 * Runs all collectors concurrently, each under its own timeout, like node_exporter's
 * NodeCollector.Collect. Never rejects, and resolves about timeoutMs after the call at the
 * latest: a hung collector is abandoned (its signal aborted), never awaited.
 */
export async function collectAll(collectors: readonly Collector[], options: CollectOptions): Promise<CollectResult> {
  const outcomes = reconcileAll(collectors, await runAll(collectors, options.timeoutMs));
  const families: MetricFamily[] = [];
  const failures: CollectorFailure[] = [];
  const success: Sample[] = [];
  const duration: Sample[] = [];
  for (let i = 0; i < collectors.length; i++) {
    const { name } = collectors[i]!;
    const outcome = outcomes[i]!;
    const labels = { collector: name };
    success.push({ labels, value: outcome.ok ? 1 : 0 });
    duration.push({ labels, value: outcome.seconds });
    if (outcome.ok) for (const family of outcome.families) families.push(family);
    else failures.push({ collector: name, error: outcome.error });
  }
  if (collectors.length > 0) {
    families.push(
      gauge('node_scrape_collector_duration_seconds', 'node_exporter: Duration of a collector scrape.', duration, 'seconds'),
      gauge('node_scrape_collector_success', 'node_exporter: Whether a collector succeeded.', success),
    );
  }
  return { families, failures };
}

/**
 * Every collector starts now, so one deadline (one timer, one signal) serves as each one's
 * timeout: a collector still running when it passes is aborted and counts as failed. Collections
 * run every few seconds for the agent's whole life; a timer and an AbortController per
 * collector per round were measurable bookkeeping under --lite-mode.
 */
async function runAll(collectors: readonly Collector[], timeoutMs: number): Promise<Outcome[]> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  deadline.catch(() => {}); // rejects only to end the races below
  try {
    return await Promise.all(collectors.map((c) => runOne(c, controller.signal, deadline)));
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(collector: Collector, signal: AbortSignal, deadline: Promise<never>): Promise<Outcome> {
  const started = monotonicMs();
  // Wrapped so a collector that throws synchronously is caught like one that rejects.
  const work = Promise.resolve().then(() => collector.collect(signal));
  work.catch(() => {}); // an abandoned collector may reject later; that is not an unhandled rejection
  try {
    const families = await Promise.race([work, deadline]);
    if (!Array.isArray(families)) throw new Error('collect() did not return an array of families');
    return { ok: true, families, seconds: (monotonicMs() - started) / 1000 };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err), seconds: (monotonicMs() - started) / 1000 };
  }
}

/** Gives each collector with a reconcile step the others' families; one that throws counts as failed. */
function reconcileAll(collectors: readonly Collector[], outcomes: Outcome[]): Outcome[] {
  return outcomes.map((outcome, i) => {
    const collector = collectors[i]!;
    if (!outcome.ok || collector.reconcile === undefined) return outcome;
    const others = outcomes.flatMap((o, j) => (j !== i && o.ok ? o.families : []));
    try {
      return { ...outcome, families: collector.reconcile(outcome.families, others) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err), seconds: outcome.seconds };
    }
  });
}
