// Turns a failed TLS connection to the bridge into what to fix, for the agent's log.

export interface TlsProblem {
  /** OpenSSL's or Node's code, stable for searching. */
  code: string;
  /** What went wrong and which setting fixes it. */
  message: string;
}

const UNKNOWN_CA = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** The explanation of a TLS error, or undefined when the error is not about TLS. */
export function explainTlsError(err: Error & { code?: string; reason?: string }, serverName: string): TlsProblem | undefined {
  const code = err.code ?? '';
  if (code === 'CERT_HAS_EXPIRED') {
    return { code, message: `the bridge's certificate has expired; renew it on the bridge (fleetpulse certs bridge) — the agent keeps retrying` };
  }
  if (code === 'CERT_NOT_YET_VALID') return { code, message: 'the bridge\'s certificate is not valid yet; check the clocks of both machines' };
  if (UNKNOWN_CA.has(code)) {
    return { code, message: 'the bridge\'s certificate is signed by a CA this agent does not trust; set FLEETPULSE_TLS_CA to the CA certificate that signed it (ca.crt from fleetpulse certs)' };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { code, message: `the bridge's certificate is not for "${serverName}" (${err.reason ?? err.message}); connect by a name it carries, or set FLEETPULSE_TLS_SERVER_NAME to one` };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST') {
    return { code, message: 'the bridge did not answer in TLS; set FLEETPULSE_TLS_CERT and FLEETPULSE_TLS_KEY on the bridge, or FLEETPULSE_TLS=off on this agent' };
  }
  if (/ALERT_CERTIFICATE_REQUIRED/.test(code)) {
    return { code, message: 'the bridge requires a client certificate; set FLEETPULSE_TLS_CERT and FLEETPULSE_TLS_KEY (fleetpulse certs agent <id>)' };
  }
  if (/ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_EXPIRED/.test(code)) {
    return { code, message: 'the bridge refused this agent\'s certificate; issue one signed by the bridge\'s FLEETPULSE_TLS_CLIENT_CA (fleetpulse certs agent <id>)' };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return { code, message: `TLS with the bridge failed: ${err.message}` };
  return undefined;
}
