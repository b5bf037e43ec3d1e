import { lazyCrypto } from '../../lazy-builtins.js';

export const MAC_BYTES = 32;
/** Task ids travel in packets and become map keys, never paths; keep them short and plain. */
const TASK_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Shorter secrets would make the HMAC guessable offline from one captured packet. */
export const MIN_SECRET_BYTES = 16;

export function isValidTaskId(taskId: string): boolean {
  return TASK_ID.test(taskId);
}

/** HMAC-SHA256 keyed by the task secret: the secret itself never goes on the wire. */
export function mac(secret: string | Buffer, ...parts: (Buffer | string)[]): Buffer {
  const hmac = lazyCrypto().createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** Constant-time comparison, so timing does not reveal how many leading bytes matched. */
export function macEquals(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && lazyCrypto().timingSafeEqual(expected, received);
}
