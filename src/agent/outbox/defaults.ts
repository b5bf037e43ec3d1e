import type { ReplayPolicy } from './outbox-sender.js';

// Defaults of the FLEETPULSE_BUFFER_* settings (src/config/settings.ts), kept here so tests
// and the connection's own default outbox agree with them.

/**
 * In memory: 4 MiB holds about 500 batches of a 500-series host (8 KB each compressed, measured
 * here: 51 KB of JSON), 42 minutes at the 5 s default interval; a host with three times the
 * series still gets 15 minutes. Full, it adds about 5 MB to the agent's RSS (measured: 8 MiB
 * added 10-12 MB), which the 50 MB target can just afford; bench/results/2026-11-29-agent-outbox.md.
 */
export const DEFAULT_MEMORY_MAX_BYTES = 4 * 1024 * 1024;
/** On disk (FLEETPULSE_BUFFER_DIR) the bound is the disk's: 256 MiB, days of a typical host. */
export const DEFAULT_DISK_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_AGE_MS = 6 * 3600_000;

export const DEFAULT_OUTBOX_LIMITS = { maxBytes: DEFAULT_MEMORY_MAX_BYTES, maxAgeMs: DEFAULT_MAX_AGE_MS };

/** 5 batches a second drain 15 minutes of 5 s batches in 36 s; 8 in flight keep a busy bridge fed. */
export const DEFAULT_REPLAY: ReplayPolicy = { perSecond: 5, maxInFlight: 8 };
