import type { Server } from 'node:net';

/** Bind errors that mean "no IPv6 here", after which `::` is retried as 0.0.0.0. */
export const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

/**
 * Listens on host:port and resolves with the host actually bound. `::` takes IPv4 and IPv6
 * alike (dual-stack socket) and falls back to 0.0.0.0 where the host has no IPv6.
 */
export async function listenDualStack(server: Server, port: number, host: string): Promise<{ host: string; port: number }> {
  try {
    return await listenOnce(server, port, host);
  } catch (err) {
    if (host !== '::' || !NO_IPV6.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    return listenOnce(server, port, '0.0.0.0');
  }
}

function listenOnce(server: Server, port: number, host: string): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve({ host, port: (server.address() as { port: number }).port });
    });
  });
}

/** host:port as a user types it: [::]:9700 for IPv6. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
