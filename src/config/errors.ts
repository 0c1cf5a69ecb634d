/**
 * Thrown when the configuration is invalid; carries every problem, one line each, starting with the key path.
 * Why: start-up must fail once with the whole list (CONTRACT §2), not one fix-and-retry at a time.
 */
export class ConfigError extends Error {
  /** One line per problem, e.g. `lockout.maxAttempts: must be an integer ≥ -1 and not 0 (got "abc")`. */
  readonly problems: string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = [...problems];
  }
}
