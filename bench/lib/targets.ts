import { formatCount, formatDuration, formatMs, formatRate } from './format.js';
import type { ScenarioResult } from './load.js';
import type { RawResult } from './raw-loop.js';

/**
 * One promise of issue 7, checked in one run: a measured value against a baseline measured the same way on the
 * same machine, as a ratio with its target. `atLeast` for throughput ratios, `atMost` for slowdown factors.
 */
export interface Target {
  /** Stable key for latest.json and the chart, e.g. `login-api`. */
  id: string;
  /** What is compared, e.g. `POST /api/auth/login vs raw argon2id verify`. */
  name: string;
  /** Human cells for the report, e.g. `127.9 req/s (p50 122 ms, p99 195 ms)`. */
  measured: string;
  baseline: string;
  ratio: number;
  target: number;
  direction: 'atLeast' | 'atMost';
  pass: boolean;
}

/** A group of runs a scenario measured, with the targets computed from them and notes for the report. */
export interface Measured {
  targets: Target[];
  /** Each run's numbers by a readable name (the report lists them all). */
  runs: Record<string, ScenarioResult>;
  /** Raw baselines measured in processes of their own, by readable name; only scenarios that divide by one have them. */
  raw?: Record<string, RawResult>;
  notes: string[];
}

/**
 * Scenarios' results as one, in the order given: targets, runs, raw baselines and notes each kept in that order.
 * Why: the report lists everything in the order the bench measured it.
 */
export function mergeMeasured(parts: Measured[]): Required<Measured> {
  return {
    targets: parts.flatMap((part) => part.targets),
    runs: Object.assign({}, ...parts.map((part) => part.runs)) as Record<string, ScenarioResult>,
    raw: Object.assign({}, ...parts.map((part) => part.raw ?? {})) as Record<string, RawResult>,
    notes: parts.flatMap((part) => part.notes),
  };
}

/** A throughput target: `measured / baseline ≥ target` (or a factor `≤ target` with `atMost`). */
export function ratioTarget(
  fields: { id: string; name: string; measured: string; baseline: string; target: number; direction?: Target['direction'] },
  value: number,
  base: number,
): Target {
  const direction = fields.direction ?? 'atLeast';
  const ratio = base > 0 ? value / base : 0;
  const pass = direction === 'atLeast' ? ratio >= fields.target : ratio > 0 && ratio <= fields.target;
  return { ...fields, direction, ratio, pass };
}

/** `1,234 req/s (p50 1.0 ms, p99 4.0 ms)`, the usual cell for an HTTP run. */
export function httpCell(s: ScenarioResult, unit = 'req/s'): string {
  return `${formatRate(s.rps)} ${unit} (p50 ${formatMs(s.p50Ms)} ms, p99 ${formatMs(s.p99Ms)} ms)`;
}

/** `p50 412 µs, p99 1.3 ms, mean 450 µs (8,000 req)`, the cell for a run timed request by request. */
export function latencyCell(r: Pick<ScenarioResult, 'p50Ms' | 'p99Ms' | 'requests'> & { meanMs: number }): string {
  return `p50 ${formatDuration(r.p50Ms)}, p99 ${formatDuration(r.p99Ms)}, mean ${formatDuration(r.meanMs)} (${formatCount(r.requests)} req)`;
}

/** `155.7 verifies/s (p50 12.4 ms)`, the cell for a raw baseline. */
export function rawCell(r: { perSecond: number; p50Ms: number }, unit: string): string {
  return `${formatRate(r.perSecond)} ${unit}/s (p50 ${r.p50Ms.toFixed(1)} ms)`;
}
