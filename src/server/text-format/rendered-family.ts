import type { MetricType } from '../../protocol/messages.js';

/** One agent's part of one metric family, validated and already in exposition text. */
export interface RenderedFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Sample lines, each ending in \n, carrying instance and the agent's static labels. */
  text: string;
  series: number;
  /**
   * Each sample's value, in line order: line i of `text` ends in formatValue(values[i]). The
   * repeat path changes values (and text) in place, never the object's label sets, so a
   * reader that knows the object's lines (the remote_write encoder) takes the values from here.
   */
  values: number[];
}
