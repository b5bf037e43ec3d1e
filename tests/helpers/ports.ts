import { createSocket } from 'node:dgram';

/**
 * A UDP port on 127.0.0.1 with nothing bound to it: the kernel picks a free one, and it is
 * released again at once. Only for tests that need a peer to be absent (ICMP port unreachable).
 */
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
