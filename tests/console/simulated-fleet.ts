import { LineClient } from '../helpers/line-client.js';

// Many agents in one process, speaking the real protocol over real TCP: hello, then a small
// batch (CPU, memory and root filesystem, the families the console shows) every interval.

export interface SimulatedFleet {
  ids: string[];
  stop(): void;
}

function gauge(name: string, value: number, labels?: Record<string, string>) {
  return { name, type: 'gauge', help: name, samples: [{ ...(labels ? { labels } : {}), value }] };
}

/** Connects `count` agents named `<prefix>-000`…, each pushing every intervalMs with wandering values. */
export async function startSimulatedFleet(port: number, count: number, intervalMs: number, prefix = 'sim'): Promise<SimulatedFleet> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  const clients: LineClient[] = [];
  const state = ids.map((_, i) => ({ cpu: (i * 37) % 100, memory: 20 + ((i * 13) % 70), seq: 0 }));
  // Connect in small groups: a burst of 500 SYNs can overflow the listen backlog, and all of
  // them come from one address, which the bridge lets have 32 handshakes under way at once.
  for (let i = 0; i < count; i += 25) {
    const group = await Promise.all(ids.slice(i, i + 25).map(async (id, j) => {
      const client = await LineClient.connect(port);
      client.hello(id, { interval_ms: intervalMs, labels: { zone: `z${(i + j) % 4}` } });
      await client.waitFor((m) => m.type === 'welcome');
      return client;
    }));
    clients.push(...group);
  }
  const wander = (v: number, step: number) => Math.min(100, Math.max(0, v + (Math.random() - 0.5) * step));
  const send = () => {
    clients.forEach((client, i) => {
      const s = state[i]!;
      s.cpu = wander(s.cpu, 20);
      s.memory = wander(s.memory, 4);
      client.received.length = 0; // acks and pings: not needed, any frame we send counts as alive
      client.send({
        type: 'metrics',
        seq: ++s.seq,
        timestamp_ms: Date.now(),
        families: [
          gauge('fleetpulse_cpu_busy_average_percent', s.cpu),
          gauge('fleetpulse_memory_used_percent', s.memory),
          gauge('node_filesystem_size_bytes', 100e9, { mountpoint: '/' }),
          gauge('node_filesystem_avail_bytes', 100e9 * (0.1 + (i % 9) / 10), { mountpoint: '/' }),
        ],
      });
    });
  };
  send();
  const timer = setInterval(send, intervalMs);
  return {
    ids,
    stop() {
      clearInterval(timer);
      for (const c of clients) c.close();
    },
  };
}
