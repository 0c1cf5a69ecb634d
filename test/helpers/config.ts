import { expect } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';

/** Milliseconds in a second, a minute, an hour and a day: durations in the config suites read as what they mean. */
export const SECOND = 1000;
/** See {@link SECOND}. */
export const MINUTE = 60 * SECOND;
/** See {@link SECOND}. */
export const HOUR = 60 * MINUTE;
/** See {@link SECOND}. */
export const DAY = 24 * HOUR;

/** Runs parseConfig expecting a ConfigError and returns its problem lines. */
export function problemsOf(input: unknown, env: Record<string, string | undefined> = {}): readonly string[] {
  try {
    parseConfig(input, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).toBe(configError.problems.join('\n'));
    return configError.problems;
  }
  throw new Error('expected a ConfigError');
}
