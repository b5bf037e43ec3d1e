import type { MetricType } from '../../protocol/messages.js';
import { formatValue } from './format.js';
import { readValue } from './read-value.js';

/**
 * One agent's part of one metric family, validated: its sample lines in exposition text and
 * each sample's value. A repeat batch (ingest/repeat-batch.ts) changes values in place, never
 * the object's label sets; the text follows the values when it is next read, so a batch costs
 * no text unless /metrics is read in between. A reader that knows the object's lines (the
 * remote_write encoder) takes the values directly.
 */
export class RenderedFamily {
  /** The text as last brought up to date; `stale` when values changed since. */
  private lines: string;
  private stale = false;

  /**
   * @param text sample lines, each ending in \n, carrying instance and the agent's static labels
   * @param values each sample's value, in line order: line i ends in formatValue(values[i])
   */
  constructor(
    public name: string,
    public type: MetricType,
    public help: string,
    text: string,
    private readonly current: number[],
  ) {
    this.lines = text;
  }

  get series(): number {
    return this.current.length;
  }

  /** Each sample's value, in line order (changed by setValue()). */
  get values(): readonly number[] {
    return this.current;
  }

  /** Sample lines, each ending in \n (formatValue of each value after the line's last space). */
  get text(): string {
    if (this.stale) this.render();
    return this.lines;
  }

  /** Sample i's new value (-0 is kept as 0, which is what its line shows). */
  setValue(i: number, value: number): void {
    this.current[i] = value === 0 ? 0 : value;
    this.stale = true;
  }

  /** Rewrites the value of each line whose value changed since the text was last made. */
  private render(): void {
    const old = this.lines;
    const values = this.current;
    let parts: string[] | undefined;
    let copied = 0; // `old` is copied into the new text up to here
    let lineStart = 0;
    for (let i = 0; i < values.length; i++) {
      const end = old.indexOf('\n', lineStart);
      // The value follows the line's last space (label values may hold spaces, values never).
      const at = old.lastIndexOf(' ', end) + 1;
      const value = values[i]!;
      const shown = readValue(old, at, end);
      if (shown !== value && !(shown !== shown && value !== value)) {
        (parts ??= []).push(old.slice(copied, at), formatValue(value));
        copied = end;
      }
      lineStart = end + 1;
    }
    if (parts !== undefined) {
      parts.push(old.slice(copied));
      // One flat string: it lives until the values change again and it is read again.
      this.lines = parts.join('');
    }
    this.stale = false;
  }
}
