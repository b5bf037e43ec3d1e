import type { Sample } from '../../protocol/messages.js';
import { counter, single } from '../collectors/family.js';
import type { Collector } from '../collectors/types.js';
import type { ResponderCounters } from './responder.js';
import { TCP_REJECT_REASONS } from './sink-session.js';
import { UDP_DROP_REASONS } from './udp-echo.js';

/**
 * The agent's probe responder (docs/tasks.md): what it answered, and what strangers sent it.
 * Not a host collector, so it lives with the probes and not in collectorFactories: FLEETPULSE_PROBES turns it on, not
 * FLEETPULSE_COLLECTORS. `counters` returns undefined while no responder is bound; then it
 * sends nothing. Counters are the responder's since it started, the agent's lifetime.
 */
export function createResponderCollector(counters: () => ResponderCounters | undefined): Collector {
  return {
    name: 'responder',
    async collect() {
      const c = counters();
      if (c === undefined) return [];
      // Every result value every time, zeros included, so a first refusal is a step of a series
      // that exists already, which rate() and increase() see.
      return [
        counter(
          'fleetpulse_responder_udp_packets_total',
          'UDP datagrams received by the probe responder, by result: answered (an authenticated probe of a granted task) or the reason it was dropped without an answer.',
          [byResult('answered', c.udpAnswered), ...UDP_DROP_REASONS.map((r) => byResult(r, c.udpDropped[r]))],
        ),
        counter(
          'fleetpulse_responder_tcp_connections_total',
          'TCP connections to the probe responder, by result: accepted (an authenticated bandwidth transfer of a granted task) or the reason it was refused.',
          [byResult('accepted', c.tcpAccepted), ...TCP_REJECT_REASONS.map((r) => byResult(r, c.tcpRejected[r]))],
        ),
        counter(
          'fleetpulse_responder_received_bytes_total',
          'Bytes the probe responder received in accepted TCP bandwidth transfers, after the hello line.',
          single(c.tcpBytesReceived),
          'bytes',
        ),
      ];
    },
  };
}

function byResult(result: string, count: number): Sample {
  return { labels: { result }, value: count };
}
