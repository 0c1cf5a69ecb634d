import type { Config } from '../config/index.js';
import { systemClock } from '../clock.js';
import { migrateToLatest, openDatabase } from '../db/database.js';
import { loadKeyRing, rotateSigningKey } from './signing-keys.js';

/**
 * `gatehouse keys rotate`: a new signing key takes over; the old ones keep verifying the tokens they signed.
 * Every node picks the new key up within its reload interval (30 s), or at once on a token that names it.
 */
export async function keysRotate(config: Config): Promise<number> {
  const database = openDatabase(config.database.url);
  try {
    await migrateToLatest(database.db);
    // Make sure a first key exists, so rotating a fresh database still leaves an old and a new key.
    await loadKeyRing(database.db, { algorithm: config.tokens.algorithm, hmacSecret: config.tokens.hmacSecret, clock: systemClock });
    const kid = await rotateSigningKey(database.db, config.tokens.algorithm, systemClock.now());
    process.stdout.write(`new signing key ${kid} (${config.tokens.algorithm}); older keys keep verifying their tokens\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`gatehouse keys rotate: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await database.close();
  }
}
