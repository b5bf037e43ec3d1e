import type { MetricType } from '../../protocol/messages.js';

/** One agent's part of one metric family, validated and already in exposition text. */
export interface RenderedFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Sample lines, each ending in \n, carrying instance and the agent's static labels. */
  text: string;
  series: number;
}
