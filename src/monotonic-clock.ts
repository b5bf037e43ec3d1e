/**
 * Milliseconds from an arbitrary start, monotonic and sub-millisecond: what performance.now()
 * gives, without the `performance` global, whose first use loads node:perf_hooks and six more
 * built-in modules. In the agent (which needs only this one number from them) those cost about
 * 0.3 MiB of RSS under Node 22 (bench/results/2026-11-30-agent-image-rss-s12.md).
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
