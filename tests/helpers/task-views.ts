// The JSON shapes of GET /api/tasks and GET /api/tasks/<id> (src/server/tasks/task-json.ts), as the
// tests read them.

/** A pair's latest result as GET /api/tasks/<id> shows it; figures that do not apply are null. */
export interface PairResultView {
  src: string;
  dst: string;
  ok: boolean;
  at: string;
  reason: string | null;
  message: string | null;
  rtt_min_seconds: number | null;
  rtt_avg_seconds: number | null;
  rtt_max_seconds: number | null;
  jitter_seconds: number | null;
  loss_ratio: number | null;
  one_way_delay_seconds: number | null;
  one_way_jitter_seconds: number | null;
  one_way_loss_ratio: number | null;
  bandwidth_bits_per_second: number | null;
}

export interface TaskView {
  id: string;
  name: string;
  description: string;
  type: 'latency' | 'bandwidth';
  members: string[];
  start: string;
  end: string;
  period_seconds: number;
  options: Record<string, number>;
  status: 'scheduled' | 'running' | 'finished' | 'failed';
  status_reason: string | null;
  created_at: string;
  last_run_at: string | null;
  next_run_at: string | null;
  results: PairResultView[];
}
