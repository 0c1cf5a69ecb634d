import { commandLineAuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/index.js';
import { systemClock } from '../clock.js';
import { migrateToLatest, openDatabase, type DialectName } from '../db/database.js';
import { openClusterBus } from '../cluster/bus.js';
import { rotationAlgorithms } from './key-rotation.js';
import { loadKeyRing, rotateSigningKeys } from './signing-keys.js';

/**
 * `gatehouse keys rotate`: a new signing key takes over; the old ones keep verifying the tokens they signed.
 * The rotation is broadcast (PostgreSQL NOTIFY or Redis), so every running node loads the key at once; a node that
 * missed it finds the key at its next reload (30 s), or when a token names it.
 */
export async function keysRotate(config: Config): Promise<number> {
  const database = openDatabase(config.database.url);
  try {
    await migrateToLatest(database.db);
    // Make sure a first key exists, so rotating a fresh database still leaves an old and a new key.
    await loadKeyRing(database.db, { algorithm: config.tokens.algorithm, hmacSecret: config.tokens.hmacSecret, clock: systemClock });
    // The OpenID provider's keys rotate with the access tokens' (issue 18): one command, one JWKS.
    const algorithms = rotationAlgorithms(config);
    const kids = await rotateSigningKeys(database.db, algorithms, systemClock.now());
    const used = [...new Set(algorithms)].filter((a) => a !== 'HS512');
    kids.forEach((kid, index) => process.stdout.write(`new signing key ${kid} (${used[index]}); older keys keep verifying their tokens\n`));
    // Audited as the console's Rotate is (admin-console/keys-page.routes.ts), with the command line as the actor.
    await commandLineAuditLog(database.db, systemClock).record('keys.rotated', { data: { by: 'cli', keys: kids.map((kid, index) => `${kid} (${used[index]})`) } });
    await announce(config, database.dialect, kids[0]!);
    return 0;
  } catch (error) {
    process.stderr.write(`gatehouse keys rotate: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await database.close();
  }
}

/** Tells the running nodes; a failed broadcast is only a warning, since they reload within 30 s anyway. */
async function announce(config: Config, dialect: DialectName, kid: string): Promise<void> {
  const warn = (error: unknown) => process.stderr.write(`gatehouse keys rotate: broadcast failed (${(error as Error).message}); nodes load the key within 30 s\n`);
  const bus = openClusterBus(config, dialect, warn);
  try {
    await bus.publish({ keysRotated: kid });
  } catch (error) {
    warn(error);
  } finally {
    await bus.close();
  }
}
