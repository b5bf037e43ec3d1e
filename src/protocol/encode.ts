import type { Message } from './messages.js';

/** One message as one line. JSON.stringify escapes newlines inside strings, so a frame never contains one. */
export function encodeMessage(message: Message): string {
  return JSON.stringify(message) + '\n';
}
