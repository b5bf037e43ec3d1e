import type { SelfMetrics } from '../self-metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { renderAgentStatus } from './agent-status.js';
import { renderFamilies } from './render-families.js';

/**
 * The whole /metrics text: the bridge's own metrics, each agent's status, then every agent
 * family. The family part, by far the largest, is rebuilt only when the store changed.
 */
export class MetricsBody {
  private cachedVersion = -1;
  private cachedFamilies = '';

  constructor(
    private readonly store: AgentStore,
    private readonly self: SelfMetrics,
    private readonly clockOffsetMs: (agentId: string) => number | undefined = () => undefined,
  ) {}

  async render(): Promise<string> {
    const agents = this.store.list();
    let connected = 0;
    for (const agent of agents) if (agent.connected) connected++;
    this.self.agents.set({ state: 'connected' }, connected);
    this.self.agents.set({ state: 'disconnected' }, agents.length - connected);
    this.self.series.set(agents.reduce((n, a) => n + a.series, 0));
    if (this.cachedVersion !== this.store.version) {
      this.cachedFamilies = renderFamilies(this.store.catalog);
      this.cachedVersion = this.store.version;
    }
    const selfText = await this.self.registry.metrics();
    return selfText + renderAgentStatus(agents, this.clockOffsetMs) + this.cachedFamilies;
  }
}
