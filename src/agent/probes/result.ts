/** Why a probe produced no measurement. Stable: these become the `reason` label of the failures counter. */
export type ProbeFailureReason = 'timeout' | 'refused' | 'unreachable' | 'auth_failed' | 'error';

export interface ProbeFailure {
  ok: false;
  reason: ProbeFailureReason;
  /** For logs; not stable. */
  message: string;
}

export function failure(reason: ProbeFailureReason, message: string): ProbeFailure {
  return { ok: false, reason, message };
}

const UNREACHABLE_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']);

/** Maps a socket or DNS error to a failure reason (ECONNREFUSED on UDP is an ICMP port unreachable). */
export function failureFromError(err: unknown): ProbeFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ECONNREFUSED') return failure('refused', message);
  if (code === 'ETIMEDOUT') return failure('timeout', message);
  if (UNREACHABLE_CODES.has(code)) return failure('unreachable', message);
  return failure('error', message);
}
