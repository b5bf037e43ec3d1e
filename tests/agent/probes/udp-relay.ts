import { createSocket, type RemoteInfo } from 'node:dgram';

export interface UdpRelayOptions {
  target: { host: string; port: number };
  /** Added to every datagram in each direction. */
  delayMs: number;
  /** Called with the 1-based number of each client -> target datagram; true drops it. */
  dropForward?: (n: number) => boolean;
}

export interface UdpRelay {
  port: number;
  forwarded: number;
  dropped: number;
  returned: number;
  close(): Promise<void>;
}

/**
 * A stand-in for a slow, lossy path (this kernel has no netem): datagrams from one client
 * to the target and back, each held for delayMs, forward ones dropped by a rule.
 */
export async function startUdpRelay(options: UdpRelayOptions): Promise<UdpRelay> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  const timers = new Set<NodeJS.Timeout>();
  let client: RemoteInfo | undefined;
  let seen = 0;
  const later = (fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, options.delayMs);
    timers.add(timer);
  };
  const relay: UdpRelay = {
    port: 0,
    forwarded: 0,
    dropped: 0,
    returned: 0,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
    },
  };
  front.on('message', (datagram, from) => {
    client = from;
    if (options.dropForward?.(++seen)) {
      relay.dropped++;
      return;
    }
    relay.forwarded++;
    later(() => back.send(datagram, options.target.port, options.target.host));
  });
  back.on('message', (datagram) => {
    const to = client;
    if (!to) return;
    relay.returned++;
    later(() => front.send(datagram, to.port, to.address));
  });
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r())), new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()))]);
  relay.port = front.address().port;
  return relay;
}
