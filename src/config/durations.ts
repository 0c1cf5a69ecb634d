/**
 * Durations as written in configuration (`90s`, `1.5h`, `1h30m`, `never`), converted to milliseconds.
 * CONTRACT §2: units `ns us ms s m h d w y`; a bare number is milliseconds unless the key says seconds.
 */

/** Milliseconds per unit; why: one table is the whole grammar (y = 365 d, w = 7 d). */
export const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
});

/** Options of {@link parseDuration}; why: a few keys (seed 004) count bare numbers in seconds or allow `never`. */
export interface DurationOptions {
  /** Unit of a bare number or numeric string; default `'ms'`. */
  bareUnit?: 'ms' | 's';
  /** Accept `never` and return `null` for it; default false. */
  allowNever?: boolean;
}

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const BARE = new RegExp(`^${NUMBER}$`);
const PART = new RegExp(`(${NUMBER})(ns|us|ms|s|m|h|d|w|y)`, 'gy');

/**
 * Parses a configured duration into milliseconds (`null` for an allowed `never`).
 * Why: every TTL in the configuration goes through one grammar, so `5m` means the same everywhere.
 * @throws Error with a message (no key path) for negative, non-finite or malformed values.
 */
export function parseDuration(value: unknown, options: DurationOptions = {}): number | null {
  const bareFactor = DURATION_UNITS[options.bareUnit ?? 'ms'] ?? 1;
  if (typeof value === 'number') return fromNumber(value, bareFactor, options);
  if (typeof value !== 'string') throw durationError(value, options);
  const text = value.trim();
  if (options.allowNever && text.toLowerCase() === 'never') return null;
  if (BARE.test(text)) return roundNs(Number(text) * bareFactor);
  const total = sumParts(text);
  if (total === undefined) throw durationError(value, options);
  return roundNs(total);
}

/** Bare numbers: finite and not negative. */
function fromNumber(value: number, factor: number, options: DurationOptions): number {
  if (!Number.isFinite(value) || value < 0) throw durationError(value, options);
  return roundNs(value * factor);
}

/** Sums `1h30m`-style sequences; undefined when the text is not entirely made of `<number><unit>` parts. */
function sumParts(text: string): number | undefined {
  PART.lastIndex = 0;
  let total = 0;
  let match: RegExpExecArray | null;
  while ((match = PART.exec(text)) !== null) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? Number.NaN);
    if (PART.lastIndex === text.length) return Number.isFinite(total) ? total : undefined;
  }
  return undefined;
}

/** Rounds to whole nanoseconds so `1.1s` is 1100, not 1100.0000000000002. */
function roundNs(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}

function durationError(value: unknown, options: DurationOptions): Error {
  const never = options.allowNever ? ', or "never"' : '';
  return new Error(`must be a duration such as "90s", "5m" or "1.5h"${never} (got ${describeValue(value)})`);
}

/** Renders a rejected value for an error line; why: problems must show what was given, briefly. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
