/**
 * The better-auth comparison on its own, without Gatehouse: `node --import tsx bench/better-auth-alone.ts`
 * (`BENCH_SECONDS=2` for a short run). Prints the {@link measureBetterAuth} result as JSON on stdout.
 * Why: lets the baseline be checked or re-measured without the whole `npm run bench`.
 */
import { measureBetterAuth } from './better-auth.js';
import { installCleanup } from './processes.js';

installCleanup();
try {
  process.stdout.write(`${JSON.stringify(await measureBetterAuth(), null, 2)}\n`);
  process.exit(0);
} catch (error: unknown) {
  process.stderr.write(`better-auth bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
