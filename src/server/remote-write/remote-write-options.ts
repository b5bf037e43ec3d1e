/** Remote_write output of the bridge (FLEETPULSE_REMOTE_WRITE_*), validated in src/config. */
export interface RemoteWriteOptions {
  /** Receivers' write endpoints, e.g. http://vm:8428/api/v1/write; each gets every batch. */
  urls: readonly string[];
  /** Basic auth: user name and the file holding the password (re-read per request, as Prometheus does). */
  username?: string | undefined;
  passwordFile?: string | undefined;
  /** File holding a bearer token (re-read per request). */
  bearerTokenFile?: string | undefined;
  /** Extra request headers (a tenant id, say); never the ones the protocol or the credentials set. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** PEM CA bundle the receiver's certificate must be signed by (instead of the system CAs). */
  tlsCaFile?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
  /** One request's deadline. */
  timeoutMs: number;
  /** Encoded samples one URL may hold, sent or not yet acknowledged by its receiver. */
  queueBytes: number;
  /** How long a batch may wait for others to share its request (vmagent's -remoteWrite.flushInterval); 0: none. */
  flushIntervalMs: number;
  /** Samples in one request (vmagent's -remoteWrite.maxRowsPerBlock, Prometheus' max_samples_per_send). */
  maxSamplesPerRequest: number;
  /** Requests in flight at once per URL; each agent's batches stay on one of them, in order. */
  concurrency: number;
  /** Backoff between retries: doubles from min to max, with jitter. */
  retryMinMs: number;
  retryMaxMs: number;
  /** The job label every series gets (as Prometheus' scrape of the bridge gives it); '' for none. */
  job: string;
  /** Added to every series unless it has the label already (Prometheus' external_labels). */
  externalLabels: Readonly<Record<string, string>>;
  /** On shutdown, how long the queues may take to empty before the bridge stops anyway. */
  flushTimeoutMs: number;
}

export const REMOTE_WRITE_DEFAULTS = {
  timeoutMs: 30_000,
  queueBytes: 64 * 1024 ** 2,
  flushIntervalMs: 1000,
  maxSamplesPerRequest: 10_000,
  concurrency: 2,
  retryMinMs: 250,
  retryMaxMs: 10_000,
  job: 'fleetpulse',
  flushTimeoutMs: 5_000,
} as const;
