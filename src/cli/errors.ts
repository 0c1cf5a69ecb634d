/**
 * A failure the CLI reports as one line (`gatehouse: <message>`) and an exit code, without a stack trace.
 * Why: an operator's mistake (an unreachable database, a refused password) is not a bug; a trace only hides the cause.
 */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * The cause of an error as one line: an AggregateError (a host name that resolves to IPv6 and IPv4) lists each
 * distinct cause, an error without a message gives its code. Why: `connect ECONNREFUSED` says what to fix.
 */
export function oneLineCause(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(oneLineCause))].join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message.split('\n')[0]!.trim();
  return message || code || error.name;
}
