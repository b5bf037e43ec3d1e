import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// The remote_write queues' own metrics, per receiver URL, named after vmagent's and Prometheus'
// (prometheus_remote_storage_samples_*): a dashboard or alert written for those reads these alike.

export class RemoteWriteMetrics {
  readonly samplesSent: Counter<'url'>;
  readonly samplesFailed: Counter<'url'>;
  readonly samplesRetried: Counter<'url'>;
  readonly samplesDropped: Counter<'url' | 'reason'>;
  readonly samplesPending: Gauge<'url'>;
  readonly pendingBytes: Gauge<'url'>;
  readonly queueBytesLimit: Gauge<'url'>;
  readonly batchesRefused: Counter<'url'>;
  readonly requests: Counter<'url' | 'status'>;
  readonly requestDuration: Histogram<'url'>;
  readonly lastSuccess: Gauge<'url'>;
  readonly highestSent: Gauge<'url'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.samplesSent = new Counter({ name: 'fleetpulse_remote_write_samples_sent_total', help: 'Samples the receiver accepted (2xx).', labelNames: ['url'], registers });
    this.samplesFailed = new Counter({ name: 'fleetpulse_remote_write_samples_failed_total', help: 'Samples in requests that failed, each attempt counted (network error or any non-2xx answer).', labelNames: ['url'], registers });
    this.samplesRetried = new Counter({ name: 'fleetpulse_remote_write_samples_retried_total', help: 'Samples sent again after a recoverable failure (network error, 5xx, 429).', labelNames: ['url'], registers });
    this.samplesDropped = new Counter({ name: 'fleetpulse_remote_write_samples_dropped_total', help: 'Samples given up for good, by reason (rejected: the receiver answered a 4xx other than 429, so retrying cannot help).', labelNames: ['url', 'reason'], registers });
    this.samplesPending = new Gauge({ name: 'fleetpulse_remote_write_samples_pending', help: 'Samples queued for the receiver or in a request not answered yet.', labelNames: ['url'], registers });
    this.pendingBytes = new Gauge({ name: 'fleetpulse_remote_write_pending_bytes', help: 'Encoded (uncompressed) bytes queued for the receiver, against fleetpulse_remote_write_queue_max_bytes.', labelNames: ['url'], registers });
    this.queueBytesLimit = new Gauge({ name: 'fleetpulse_remote_write_queue_max_bytes', help: 'FLEETPULSE_REMOTE_WRITE_QUEUE_BYTES: beyond it batches are refused with FP_RETRY_LATER (agents keep them).', labelNames: ['url'], registers });
    this.batchesRefused = new Counter({ name: 'fleetpulse_remote_write_batches_refused_total', help: 'Agent batches refused because this URL\'s queue was full (FP_RETRY_LATER: the agent keeps and re-sends them).', labelNames: ['url'], registers });
    this.requests = new Counter({ name: 'fleetpulse_remote_write_requests_total', help: 'Write requests by outcome: the HTTP status code, or "error" when no answer came (network error, timeout).', labelNames: ['url', 'status'], registers });
    this.requestDuration = new Histogram({ name: 'fleetpulse_remote_write_request_duration_seconds', help: 'Time from sending a write request to its answer.', labelNames: ['url'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.lastSuccess = new Gauge({ name: 'fleetpulse_remote_write_last_success_timestamp_seconds', help: 'When the receiver last accepted a request (Unix time).', labelNames: ['url'], registers });
    this.highestSent = new Gauge({ name: 'fleetpulse_remote_write_highest_sent_timestamp_seconds', help: 'Newest sample timestamp the receiver accepted (Unix time); time() minus this is how far behind it is.', labelNames: ['url'], registers });
  }
}
