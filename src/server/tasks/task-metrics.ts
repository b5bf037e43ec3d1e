import { Counter, Gauge, type Registry } from 'prom-client';
import { PROBE_RESULT_REASONS, type ProbeFigure } from '../../protocol/messages.js';
import { orderedPairs } from './pairs.js';
import type { PairResult, Task } from './task.js';

// The tasks' series on /metrics: the latest figures per ordered pair, failures by reason,
// and one info series per task. `task` is the task id (stable); its name is in
// fleetpulse_task_info. Cardinality is bounded by MAX_TASKS x MAX_MEMBERS x (MAX_MEMBERS - 1) pairs.

type PairLabels = { task: string; src: string; dst: string };

const RTT_STATS = [
  ['min', 'rtt_min_seconds'],
  ['avg', 'rtt_avg_seconds'],
  ['max', 'rtt_max_seconds'],
] as const;

export class TaskMetrics {
  private readonly rtt: Gauge<'task' | 'src' | 'dst' | 'stat'>;
  /** Every other per-pair figure: one gauge each, by the result field it shows. */
  private readonly figures: [ProbeFigure, Gauge<'task' | 'src' | 'dst'>][];
  private readonly lastRun: Gauge<'task' | 'src' | 'dst'>;
  private readonly failures: Counter<'task' | 'src' | 'dst' | 'reason'>;
  private readonly info: Gauge<'task' | 'name' | 'type' | 'status'>;
  private readonly corruptFiles: Counter;
  /** The info labels currently exposed per task, to replace them when the status changes. */
  private readonly infoLabels = new Map<string, { task: string; name: string; type: string; status: string }>();

  constructor(registry: Registry) {
    this.corruptFiles = new Counter({
      name: 'fleetpulse_bridge_task_files_corrupt_total',
      help: 'Task files found corrupt at start-up and moved aside to <file>.corrupt (the bridge logs each path).',
      registers: [registry],
    });
    const pairGauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['task', 'src', 'dst'] as const, registers: [registry] });
    this.rtt = new Gauge({
      name: 'fleetpulse_probe_rtt_seconds',
      help: 'Round-trip time from src to dst and back in the last run (stat="min", "avg", "max"), without the responder\'s turnaround.',
      labelNames: ['task', 'src', 'dst', 'stat'] as const,
      registers: [registry],
    });
    this.figures = [
      ['jitter_seconds', pairGauge('fleetpulse_probe_jitter_seconds', 'Mean absolute difference of consecutive round-trip times in the last run.')],
      ['loss_ratio', pairGauge('fleetpulse_probe_loss_ratio', 'Share of probes without a reply in the last run (round trip), 0 to 1.')],
      ['one_way_delay_seconds', pairGauge('fleetpulse_probe_one_way_delay_seconds', 'Mean delay from src to dst in the last run, corrected by both agents\' clock offsets; absent while an offset is unknown.')],
      ['one_way_jitter_seconds', pairGauge('fleetpulse_probe_one_way_jitter_seconds', 'Mean absolute difference of consecutive src-to-dst delays in the last run.')],
      ['one_way_loss_ratio', pairGauge('fleetpulse_probe_one_way_loss_ratio', 'Share of probes from src that never reached dst in the last run, 0 to 1 (counted by dst).')],
      ['bandwidth_bits_per_second', pairGauge('fleetpulse_probe_bandwidth_bits_per_second', 'Achieved TCP throughput from src to dst in the last run (payload bits per second).')],
    ];
    this.lastRun = pairGauge('fleetpulse_probe_last_run_timestamp_seconds', 'When the pair was last run, successful or not, in seconds since the epoch.');
    this.failures = new Counter({
      name: 'fleetpulse_probe_failures_total',
      help: 'Pair runs without a measurement, by reason (offline, timeout, refused, unreachable, auth_failed, error).',
      labelNames: ['task', 'src', 'dst', 'reason'] as const,
      registers: [registry],
    });
    this.info = new Gauge({
      name: 'fleetpulse_task_info',
      help: 'One series per measurement task with its name, type and status; always 1.',
      labelNames: ['task', 'name', 'type', 'status'] as const,
      registers: [registry],
    });
  }

  /** Shows a pair's latest result: its figures, or (failed) none of them and one more failure. */
  record(taskId: string, result: PairResult): void {
    const labels: PairLabels = { task: taskId, src: result.src, dst: result.dst };
    this.lastRun.set(labels, result.atMs / 1000);
    for (const [stat, field] of RTT_STATS) setOrRemove(this.rtt, { ...labels, stat }, result.ok ? result.figures[field] : undefined);
    for (const [field, gauge] of this.figures) setOrRemove(gauge, labels, result.ok ? result.figures[field] : undefined);
    if (!result.ok && result.reason !== null) this.failures.inc({ ...labels, reason: result.reason });
  }

  setInfo(task: Pick<Task, 'id' | 'name' | 'type' | 'status'>): void {
    const labels = { task: task.id, name: task.name, type: task.type, status: task.status };
    const old = this.infoLabels.get(task.id);
    if (old && old.status === labels.status) return;
    if (old) this.info.remove(old);
    this.info.set(labels, 1);
    this.infoLabels.set(task.id, labels);
  }

  /** Drops every series of a deleted task. */
  removeTask(task: Pick<Task, 'id' | 'members'>): void {
    for (const [src, dst] of orderedPairs(task.members)) {
      const labels: PairLabels = { task: task.id, src, dst };
      this.lastRun.remove(labels);
      for (const [stat] of RTT_STATS) this.rtt.remove({ ...labels, stat });
      for (const [, gauge] of this.figures) gauge.remove(labels);
      for (const reason of PROBE_RESULT_REASONS) this.failures.remove({ ...labels, reason });
    }
    const info = this.infoLabels.get(task.id);
    if (info) this.info.remove(info);
    this.infoLabels.delete(task.id);
  }

  /** A corrupt task file was set aside at start-up. */
  corruptFile(): void {
    this.corruptFiles.inc();
  }
}

function setOrRemove<L extends string>(gauge: Gauge<L>, labels: Record<L, string>, value: number | undefined): void {
  if (value === undefined) gauge.remove(labels);
  else gauge.set(labels, value);

}
