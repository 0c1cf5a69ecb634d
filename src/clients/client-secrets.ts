import type { Kysely } from 'kysely';
import type { RandomSource } from '../clock.js';
import { envVarName, type ClientSeed } from '../config/index.js';
import type { DB } from '../db/types.js';
import { insertClient, seededClientsWithoutSecret, setClientSecretHash, swapClientSecretHash, updateClient, type Client, type ClientWithSecret } from './client.repository.js';
import { hashClientSecret, usesClientSecret } from '../config/oidc-client-fields.js';

/*
 * Client secrets (CONTRACT §5): made here, shown once, stored as their hash. Shared by the API (ClientService) and
 * the CLI, so both write a client and its secret the same way — in one transaction, so a client never exists
 * without the secret its answer announced.
 */

/** A new client secret: 32 random bytes, base64url (43 characters, 256 bits). */
export function newClientSecret(random: RandomSource): string {
  return random.bytes(32).toString('base64url');
}

/** Registers a client and, when it authenticates with a secret, its first secret; null when the id is taken. */
export async function insertClientWithSecret(db: Kysely<DB>, random: RandomSource, client: Client, now: number): Promise<{ clientSecret: string | null } | null> {
  return db.transaction().execute(async (trx) => {
    if (!(await insertClient(trx, client, now))) return null;
    return { clientSecret: usesClientSecret(client.oidc) ? await issueFirstSecret(trx, random, client.clientID, now) : null };
  });
}

/**
 * Replaces a client and settles its secret: a client that now uses a secret and has none gets one (answered once);
 * one that has a secret keeps it (never shown again); one that uses none loses any stored hash. Null: no such client.
 */
export async function updateClientWithSecret(db: Kysely<DB>, random: RandomSource, client: Client, now: number): Promise<{ clientSecret: string | null } | null> {
  return db.transaction().execute(async (trx) => {
    if (!(await updateClient(trx, client))) return null;
    if (usesClientSecret(client.oidc)) return { clientSecret: await issueFirstSecret(trx, random, client.clientID, now) };
    await setClientSecretHash(trx, client.clientID, null, now);
    return { clientSecret: null };
  });
}

/**
 * A new secret for a client read just before: the old one stops working at once. Null when the stored secret
 * changed since that read (another rotation won; this caller's secret would not work, so none is answered).
 */
export async function rotateClientSecret(db: Kysely<DB>, random: RandomSource, client: ClientWithSecret, now: number): Promise<string | null> {
  const secret = newClientSecret(random);
  return (await swapClientSecretHash(db, client.clientID, client.secretHash, hashClientSecret(secret), now)) ? secret : null;
}

/** A first secret, only if the client has none (a racing update may have given one): the secret, or null. */
async function issueFirstSecret(db: Kysely<DB>, random: RandomSource, clientId: string, now: number): Promise<string | null> {
  const secret = newClientSecret(random);
  return (await swapClientSecretHash(db, clientId, null, hashClientSecret(secret), now)) ? secret : null;
}

/**
 * One warning per configured client that authenticates with a secret but has none stored (the file gives no
 * `clientSecret` and none was rotated in): `serve` logs them, as such a client cannot use the token endpoint yet.
 */
export async function missingSecretWarnings(db: Kysely<DB>, clients: readonly ClientSeed[]): Promise<string[]> {
  const missing = await seededClientsWithoutSecret(db, clients);
  return missing.map((id) => {
    const index = clients.findIndex((client) => client.clientID === id);
    return `client "${id}" authenticates with a client secret but has none: set clients[${index}].clientSecret (or ${envVarName(`clients.${index}.clientSecret`)}), or run \`gatehouse client secret --id ${id}\``;
  });
}
