import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports for tests. A server of this repository binds port 0 and reports the port it got
// (startBridgeProcess, startTestBridge): nothing here is needed for those. These are for a
// peer that must be absent, and for programs that must be told a port up front.

/** Binds TCP on `port` (0: any) on `host`, then releases it; resolves with the port, or rejects with EADDRINUSE. */
function bindAndRelease(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on (connection refused), released at once. */
export function closedTcpPort(): Promise<number> {
  return bindAndRelease(0, '127.0.0.1');
}

/** A UDP port on 127.0.0.1 with nothing bound to it (ICMP port unreachable), released at once. */
export async function closedUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** The kernel's ephemeral range: the ports bind(0) and outgoing connections take. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

/**
 * A free TCP port for a program that must be given its port before it starts (Prometheus,
 * Compose's published ports) and may bind it much later. Picked below the ephemeral range,
 * where neither bind(0) nor any outgoing connection on this machine can take it meanwhile;
 * callers still retry on "address already in use" (another test may pick the same one).
 */
export async function portToHandOut(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const low = 20_000;
  const high = Math.max(low + 1000, ephemeralLow);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    try {
      // Free on every address: Compose publishes on 0.0.0.0.
      return await bindAndRelease(port, '0.0.0.0');
    } catch {
      // In use: try another.
    }
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}
