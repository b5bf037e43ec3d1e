import type { PeerCertificate } from 'node:tls';

/**
 * The names a client certificate proves: its Common Name(s) and DNS subject alternative names.
 * An agent id has no commas or quotes, so entries Node prints quoted can never equal one.
 */
export function certificateNames(cert: PeerCertificate | undefined): string[] {
  if (!cert) return [];
  const names: string[] = [];
  const cn = cert.subject?.CN as string | string[] | undefined;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  for (const entry of (cert.subjectaltname ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) names.push(entry.slice(4));
  }
  return [...new Set(names)];
}
