import type { Kysely } from 'kysely';
import type { ClusterBus } from '../cluster/bus.js';
import type { Config, TokenAlgorithm } from '../config/index.js';
import type { DB } from '../db/types.js';
import type { KeyStore } from './key-store.js';
import { PROVIDER_ALGORITHMS, rotateSigningKeys } from './signing-keys.js';

/** A stored signing key as the admin console lists it: never its private part. */
export interface SigningKeyListing {
  kid: string;
  algorithm: string;
  createdAt: number;
  retiredAt: number | null;
}

/**
 * The algorithms a rotation renews: the access tokens', and the OpenID provider's when it is on (issue 18: one
 * command, one JWKS). HS512 has no stored key; its secret is `tokens.hmacSecret`.
 */
export function rotationAlgorithms(config: Config): TokenAlgorithm[] {
  return config.oidc.enabled ? [config.tokens.algorithm, ...PROVIDER_ALGORITHMS] : [config.tokens.algorithm];
}

/** Whether a rotation has any stored key to renew (not with HS512 alone). */
export function canRotate(config: Config): boolean {
  return rotationAlgorithms(config).some((algorithm) => algorithm !== 'HS512');
}

/** Every stored key, oldest first, without its private JWK. */
export async function listSigningKeys(db: Kysely<DB>): Promise<SigningKeyListing[]> {
  const rows = await db.selectFrom('signing_keys').select(['kid', 'algorithm', 'created_at', 'retired_at'])
    .orderBy('created_at', 'asc').orderBy('kid', 'asc').execute();
  return rows.map((row) => ({ kid: row.kid, algorithm: row.algorithm, createdAt: Number(row.created_at), retiredAt: row.retired_at === null ? null : Number(row.retired_at) }));
}

/** What a running node rotates with: its database, key store, cluster bus and clock. */
export interface RunningKeyRotation {
  db: Kysely<DB>;
  config: Config;
  keys: Pick<KeyStore, 'reload'>;
  bus: Pick<ClusterBus, 'publish'>;
  now: () => number;
  warn: (error: unknown) => void;
}

/**
 * What `gatehouse keys rotate` does, from inside a running node (the admin console): new keys take over, the old
 * ones keep verifying their tokens; this node reloads its keys at once, and the others are told on the cluster bus
 * (`keysRotated`, as services.ts subscribes) — a missed broadcast is only a warning, as every node reloads within 30 s.
 */
export async function rotateRunningKeys(deps: RunningKeyRotation): Promise<Array<{ kid: string; algorithm: string }>> {
  const used = [...new Set(rotationAlgorithms(deps.config))].filter((a) => a !== 'HS512');
  const kids = await rotateSigningKeys(deps.db, rotationAlgorithms(deps.config), deps.now());
  await deps.keys.reload();
  await deps.bus.publish({ keysRotated: kids[0]! }).catch(deps.warn);
  return kids.map((kid, index) => ({ kid, algorithm: used[index]! }));
}
