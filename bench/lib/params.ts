import { availableParallelism } from 'node:os';

/**
 * Argon2id cost of a default install (the `password.hash` defaults, OWASP's 19 MiB / t=2).
 * Why: DESIGN "Tests" — benchmarks always use the production parameters; `run.ts` checks they still match.
 */
export const PRODUCTION_HASH = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hash operations in flight at once; why: the hasher's default `concurrency`, so raw argon2 and login get the same parallelism. */
export const HASH_CONCURRENCY = availableParallelism();

/** The one account every login uses; why: each login costs one full verify whichever account it names. */
export const BENCH_USER = { email: 'bench@example.com', password: 'Correct-Horse-42' } as const;

/** `BENCH_SECONDS` as a positive number, or undefined when unset. */
function benchSeconds(): number | undefined {
  const seconds = Number(process.env.BENCH_SECONDS);
  return seconds > 0 ? seconds : undefined;
}

/**
 * How long each scenario runs; why: long enough for stable numbers, short enough to keep the whole bench in a few
 * minutes. `BENCH_SECONDS` (or `npm run bench -- --quick`, which sets it to 1) shortens every run while developing a
 * scenario; results are then marked as such. Read when used, so that `run.ts` can set it from its flags.
 */
export const TIMING = {
  get warmupSeconds(): number {
    return process.env.BENCH_SECONDS ? 1 : 2;
  },
  /**
   * Warm-up before a login run. Why longer: V8 optimizes the login path only after thousands of calls, and at about
   * 150 logins per second a 2 s warm-up left the first login run of a fresh server 8 % slower than the same run
   * repeated (ratio 0.745 against 0.813, measured in turns with raw argon2id); a server in production runs warm.
   */
  get loginWarmupSeconds(): number {
    return process.env.BENCH_SECONDS ? 1 : 10;
  },
  get durationSeconds(): number {
    return benchSeconds() ?? 10;
  },
};

/** Open HTTP connections per scenario; why: enough to keep every argon2 slot busy and the event loop saturated. */
export const CONNECTIONS = 16;

/** The authenticated GET under test (issue 7 target 2); the bare server answers on the same path. */
export const USER_PATH = '/auth/user';

/** PostgreSQL for the runs on PostgreSQL; each run makes a schema of its own and drops it. */
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Longest wait for an idle machine before each run; keeps a busy machine from stalling the bench for long. */
export const QUIET_WAIT_MS = 10_000;
