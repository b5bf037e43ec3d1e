import type { BenchOptions } from '../options.js';
import type { AgentFootprint } from '../phases/agent-footprint.js';
import type { ScaleResult } from '../phases/scale.js';
import type { TargetName } from '../systems/target.js';
import type { Machine } from './machine.js';

// What one bench run found: written as JSON by bench.ts, read by the report renderers.

export interface BenchReport {
  date: string;
  mode: BenchOptions['mode'];
  machine: Machine;
  workload: { agents: number[]; series: number; periodMs: number; changingShare: number };
  durationSeconds: number;
  /** 1-minute load average when the run ended. */
  loadAverageAtEnd: number;
  results: ScaleResult[];
  /** Target/size pairs not run, with the reason. */
  skipped: { target: TargetName; agents: number; reason: string }[];
  /** Parts left out, e.g. for a program that is not installed. */
  notes: string[];
  /** The bridge with 1 series per agent: what connections, heartbeats and acks cost alone. */
  floor?: ScaleResult;
  footprint?: AgentFootprint;
  targets: TargetCheck[];
}

/** One of issue 4's targets, checked against this run's figures. */
export interface TargetCheck {
  goal: string;
  measured: string;
  /** undefined when this run did not measure it (e.g. --agents without 1000). */
  met: boolean | undefined;
}
