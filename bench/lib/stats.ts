/**
 * The few statistics every run of the bench reports, written once so that each run computes them the same way.
 */

/**
 * The `p`-th percentile (0–100) of ascending `sorted` values by the nearest-rank method: the smallest value with at
 * least p % of the values at or below it; 0 for no values.
 * Why one function: the raw baselines, the refresh chains and the scale runs must rank their latencies alike.
 */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** The sum of `value` over `items`; why: every summary adds counts and CPU seconds over its stretches. */
export function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

/** One part of a run as the load generator summarized it: its count and its latency percentiles. */
export interface LatencyPart {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Parts measured in turns as one: the p50s weighted by count and the worst p99.
 * Why: autocannon and the raw children answer percentiles, not histograms, so this is the closest combination.
 */
export function combinedLatency(parts: readonly LatencyPart[]): { p50Ms: number; p99Ms: number } {
  const count = sumOf(parts, (part) => part.count);
  return {
    p50Ms: count === 0 ? 0 : sumOf(parts, (part) => part.p50Ms * part.count) / count,
    p99Ms: Math.max(...parts.map((part) => part.p99Ms)),
  };
}
