import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares secrets in constant time; hashing first makes lengths equal without leaking them. */
export function tokenMatches(expected: string, offered: string | undefined): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(offered ?? '').digest();
  return timingSafeEqual(a, b) && offered !== undefined;
}
