import type { ScenarioResult } from './load.js';

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

/** A group of runs a module measured, with the targets computed from them and notes for the report. */
export interface Measured {
  targets: Target[];
  /** Each run's numbers by a readable name (the report lists them all). */
  runs: Record<string, ScenarioResult>;
  notes: string[];
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

export function formatRate(n: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function formatMs(n: number): string {
  if (n < 1) return n <= 0 ? '<1' : n.toFixed(2);
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}
