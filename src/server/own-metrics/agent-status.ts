import { AGENT_STATES } from '../store/agent-lifecycle.js';
import { currentIdConflict, type AgentStatus } from '../store/agent-record.js';
import { escapeLabelValue, familyHeader } from '../text-format/format.js';

/**
 * The bridge's view of each agent: up, last seen, info, series held. Rendered at every
 * scrape because last-seen moves with every heartbeat; it is a few lines per agent.
 */
export function renderAgentStatus(agents: readonly AgentStatus[], nowMs = Date.now()): string {
  let up = familyHeader('fleetpulse_agent_up', 'gauge', '1 if the agent is connected to the bridge, 0 if not (lost, or departed after a goodbye).');
  let state = familyHeader('fleetpulse_agent_state', 'gauge', 'The agent\'s state, 1 for the current one: connected, down (connection lost) or departed (said goodbye: a deliberate stop).');
  let conflict = familyHeader('fleetpulse_agent_id_conflict', 'gauge', '1 while connections claiming this agent id are refused because another live agent holds it (two hosts, one id; FP_ID_CONFLICT), else 0.');
  let lastSeen = familyHeader('fleetpulse_agent_last_seen_timestamp_seconds', 'gauge', 'When the bridge last heard from the agent, in seconds since the epoch.');
  let info = familyHeader('fleetpulse_agent_info', 'gauge', 'Agent metadata; always 1.');
  let series = familyHeader('fleetpulse_agent_series', 'gauge', 'Series the bridge currently holds for the agent.');
  let since = familyHeader('fleetpulse_agent_connected_since_timestamp_seconds', 'gauge', 'When the agent\'s current (or last) connection started, in seconds since the epoch.');
  let offset = familyHeader('fleetpulse_agent_clock_offset_seconds', 'gauge', 'The agent\'s clock minus the bridge\'s, from heartbeat timestamps (NTP clock filter); connected agents only.');
  for (const agent of agents) {
    const labels = agent.labelPrefix;
    up += `fleetpulse_agent_up{${labels}} ${agent.connected ? 1 : 0}\n`;
    for (const s of AGENT_STATES) state += `fleetpulse_agent_state{${labels},state="${s}"} ${agent.state === s ? 1 : 0}\n`;
    conflict += `fleetpulse_agent_id_conflict{${labels}} ${currentIdConflict(agent, nowMs) ? 1 : 0}\n`;
    lastSeen += `fleetpulse_agent_last_seen_timestamp_seconds{${labels}} ${agent.lastSeen / 1000}\n`;
    info +=
      `fleetpulse_agent_info{${labels},version="${escapeLabelValue(agent.agentVersion)}",` +
      `address="${escapeLabelValue(agent.address)}",protocol="${agent.protocol}"} 1\n`;
    series += `fleetpulse_agent_series{${labels}} ${agent.series}\n`;
    since += `fleetpulse_agent_connected_since_timestamp_seconds{${labels}} ${agent.connectedSince / 1000}\n`;
    const offsetMs = agent.clockOffsetMs;
    if (offsetMs !== undefined) offset += `fleetpulse_agent_clock_offset_seconds{${labels}} ${offsetMs / 1000}\n`;
  }
  return offset + since + conflict + info + lastSeen + series + state + up;
}
