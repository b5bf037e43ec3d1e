import type { SelfMetrics } from '../own-metrics/self-metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { renderAgentStatus } from '../own-metrics/agent-status.js';
import { DeflatedFamilies, deflateText } from './deflated-families.js';
import { gzipMember } from './gzip-member.js';
import { forEachPiece, pieceText } from './render-families.js';

/** How often pieces whose push window has passed are compressed, while gzip scrapes come. */
const PRECOMPRESS_EVERY_MS = 250;
/** Without a gzip scrape for this long, nobody needs compressed pieces: stop making them. */
const PRECOMPRESS_IDLE_MS = 120_000;

/**
 * The whole /metrics body: the bridge's own metrics, each agent's status, then every agent
 * family. The head (own metrics and status, a few lines per agent) is rendered at every
 * scrape; the families, by far the largest part, keep their text (brought up to date from their
 * values when first read after a change: see text-format/rendered-family.ts) and, for gzip, are
 * kept compressed piece by piece (see deflated-families.ts), so a scrape compresses only
 * the pieces being pushed to right now.
 */
export class MetricsBody {
  private readonly families: DeflatedFamilies;
  private precompressTimer: NodeJS.Timeout | undefined;
  private lastGzipScrape = 0;
  /** Time between the last two gzip scrapes (Prometheus scrapes at a fixed interval): when the next one is expected. */
  private gzipScrapeIntervalMs: number | undefined;

  constructor(
    private readonly store: AgentStore,
    private readonly self: SelfMetrics,
  ) {
    this.families = new DeflatedFamilies(store.catalog, store.shards);
  }

  /** The body as text, in parts (the families part can be tens of megabytes). */
  async textParts(): Promise<string[]> {
    const parts = [await this.head()];
    forEachPiece(this.store.catalog, (entry, piece, withHeader) => parts.push(pieceText(entry, piece, withHeader)));
    return parts;
  }

  async render(): Promise<string> {
    return (await this.textParts()).join('');
  }

  /** The body as one gzip member, in buffers to send in order. */
  async renderGzip(): Promise<Buffer[]> {
    this.keepPrecompressing();
    const head = await this.head();
    const [headPiece, familyPieces] = await Promise.all([deflateText(head), this.families.pieces()]);
    return gzipMember([headPiece, ...familyPieces]);
  }

  /** Stops compressing ahead (the timer is unref'd, so this is only for a tidy shutdown). */
  stop(): void {
    clearInterval(this.precompressTimer);
    this.precompressTimer = undefined;
  }

  private keepPrecompressing(): void {
    const now = Date.now();
    if (this.lastGzipScrape > 0) this.gzipScrapeIntervalMs = now - this.lastGzipScrape;
    this.lastGzipScrape = now;
    if (this.precompressTimer) return;
    this.precompressTimer = setInterval(() => {
      if (Date.now() - this.lastGzipScrape > PRECOMPRESS_IDLE_MS) return this.stop();
      // Scraped less often than agents push: compress only what will still be current then.
      const next = this.gzipScrapeIntervalMs === undefined ? undefined : this.lastGzipScrape + this.gzipScrapeIntervalMs;
      this.families.precompress(Date.now(), next !== undefined && next > Date.now() ? next : undefined);
    }, PRECOMPRESS_EVERY_MS).unref();
  }

  private async head(): Promise<string> {
    const agents = this.store.list();
    let connected = 0;
    for (const agent of agents) if (agent.connected) connected++;
    this.self.agents.set({ state: 'connected' }, connected);
    this.self.agents.set({ state: 'disconnected' }, agents.length - connected);
    this.self.series.set(agents.reduce((n, a) => n + a.series, 0));
    const selfText = await this.self.registry.metrics();
    return selfText + renderAgentStatus(agents, this.store.now());
  }
}
