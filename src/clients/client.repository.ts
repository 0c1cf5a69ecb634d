import type { Kysely, Selectable } from 'kysely';
import type { ClientSeed } from '../config/index.js';
import { PreparedStatement } from '../db/prepared.js';
import type { ClientTable, DB } from '../db/types.js';
import { hashClientSecret, usesClientSecret, type OidcClientFields } from '../config/oidc-client-fields.js';

/** A registered client (seed 000): tokens are only ever delivered to its callbackURL. */
export interface Client {
  clientID: string;
  callbackURL: string;
  config: ClientSeed['config'];
  /** What the hosted pages call the application ("Sign in to Demo App"); null = none given. */
  name: string | null;
  /** The OpenID provider's fields (config/oidc-client-fields.ts); null: the client uses only seed 000's delivery. */
  oidc: OidcClientFields | null;
}

/** A client with its stored secret hash, for the OpenID provider's client authentication only. */
export interface ClientWithSecret extends Client {
  secretHash: string | null;
}

function toClient(row: Selectable<ClientTable>): Client {
  return {
    clientID: row.client_id, callbackURL: row.callback_url, config: JSON.parse(row.config) as Client['config'], name: row.name ?? null,
    oidc: row.oidc ? (JSON.parse(row.oidc) as OidcClientFields) : null,
  };
}

/** A client by id with its secret hash (the OpenID provider checks client secrets, at every token request). */
export async function findClientWithSecret(db: Kysely<DB>, clientId: string): Promise<ClientWithSecret | undefined> {
  const row = await clientById.first(db, clientId);
  return row && { ...toClient(row), secretHash: row.secret_hash };
}

/** Prepared once (db/prepared.ts): every grant at the provider's token endpoint reads its client. */
const clientById = new PreparedStatement(1, (db, clientId: string) => db.selectFrom('clients').selectAll().where('client_id', '=', clientId));

/** Stores a new client secret's hash (generation and rotation); false when there is no such client. */
export async function setClientSecretHash(db: Kysely<DB>, clientId: string, secretHash: string | null, now: number): Promise<boolean> {
  const result = await db.updateTable('clients').set({ secret_hash: secretHash, secret_created_at: secretHash ? now : null })
    .where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A client by id. */
export async function findClient(db: Kysely<DB>, clientId: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  return row && toClient(row);
}

/**
 * Writes the clients of `clients` in the configuration, replacing stored ones of the same id.
 * Why: the file is the source of truth for what it declares — a change made through the API or the CLI to a
 * configured client lasts until the next start, and a configured client deleted there comes back.
 * Secrets: a `clientSecret` in the file is stored as its hash; a client using a secret without one in the file keeps
 * the stored hash (set by `gatehouse client secret` or the API); a client using none has any stored hash removed.
 */
export async function seedClients(db: Kysely<DB>, clients: readonly ClientSeed[], now: number): Promise<void> {
  for (const client of clients) {
    const values = { client_id: client.clientID, callback_url: client.callbackURL, config: JSON.stringify(client.config), name: client.name, oidc: oidcJson(client.oidc), created_at: now };
    await db
      .insertInto('clients')
      .values(values)
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ callback_url: values.callback_url, config: values.config, name: values.name, oidc: values.oidc }))
      .execute();
    if (client.clientSecret !== null && usesClientSecret(client.oidc)) await storeSeededSecret(db, client.clientID, hashClientSecret(client.clientSecret), now);
    else if (!usesClientSecret(client.oidc)) await setClientSecretHash(db, client.clientID, null, now);
  }
}

/** Writes a configured secret's hash unless it is stored already, so `secret_created_at` tells when it last changed. */
async function storeSeededSecret(db: Kysely<DB>, clientId: string, secretHash: string, now: number): Promise<void> {
  await db.updateTable('clients').set({ secret_hash: secretHash, secret_created_at: now })
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('secret_hash', 'is', null), eb('secret_hash', '!=', secretHash)]))
    .execute();
}

/**
 * The configured clients that authenticate with a secret but have none: neither the file nor a rotation gave one.
 * Why: such a client cannot use the token endpoint, and `serve` says so at start instead of leaving it to fail.
 */
export async function seededClientsWithoutSecret(db: Kysely<DB>, clients: readonly ClientSeed[]): Promise<string[]> {
  const ids = clients.filter((client) => usesClientSecret(client.oidc)).map((client) => client.clientID);
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('clients').select('client_id').where('client_id', 'in', ids).where('secret_hash', 'is', null).execute();
  const missing = new Set(rows.map((row) => row.client_id));
  return ids.filter((id) => missing.has(id));
}

/**
 * Replaces a client's secret hash only if it is still `expected` (null: the client has none); false otherwise.
 * Why: two rotations (or two updates handing out a first secret) at once must not both answer a secret, when only
 * the last one written would work — the loser is told instead.
 */
export async function swapClientSecretHash(db: Kysely<DB>, clientId: string, expected: string | null, next: string | null, now: number): Promise<boolean> {
  const result = await db.updateTable('clients').set({ secret_hash: next, secret_created_at: next ? now : null })
    .where('client_id', '=', clientId)
    .where('secret_hash', expected === null ? 'is' : '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The client whose callbackURL is exactly `url`: redirects go only there (seed 000). */
export async function findClientByCallback(db: Kysely<DB>, url: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('callback_url', '=', url).executeTakeFirst();
  return row && toClient(row);
}

/**
 * Whether `origin` (as a browser serialises it in `Origin`) is the origin of some registered client's callbackURL.
 * Why: a client's own page may post the hosted login form (login CSRF, CONTRACT §5). Origins are compared after URL
 * parsing, since a callbackURL is stored as written (upper-case host, default port).
 */
export async function isClientCallbackOrigin(db: Kysely<DB>, origin: string): Promise<boolean> {
  const rows = await db.selectFrom('clients').select('callback_url').distinct().execute();
  return rows.some((row) => URL.canParse(row.callback_url) && new URL(row.callback_url).origin === origin);
}

/** One page of clients by id, and how many there are; why: listing endpoints page (DESIGN). */
export async function listClients(db: Kysely<DB>, window: { offset: number; limit: number }): Promise<{ items: Client[]; total: number }> {
  const [rows, count] = await Promise.all([
    db.selectFrom('clients').selectAll().orderBy('client_id').limit(window.limit).offset(window.offset).execute(),
    db.selectFrom('clients').select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toClient), total: Number(count.total) };
}

/** Inserts a client unless its id is taken; false when it is (the primary key decides, so two racing creates cannot both win). */
export async function insertClient(db: Kysely<DB>, client: Client, now: number): Promise<boolean> {
  const result = await db
    .insertInto('clients')
    .values({ client_id: client.clientID, callback_url: client.callbackURL, config: JSON.stringify(client.config), name: client.name, oidc: oidcJson(client.oidc), created_at: now })
    .onConflict((oc) => oc.column('client_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Replaces a client's callbackURL, config and name; false when there is no such client. */
export async function updateClient(db: Kysely<DB>, client: Client): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({ callback_url: client.callbackURL, config: JSON.stringify(client.config), name: client.name, oidc: oidcJson(client.oidc) })
    .where('client_id', '=', client.clientID)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deletes a client; false when there was none. */
export async function deleteClient(db: Kysely<DB>, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

function oidcJson(fields: OidcClientFields | null | undefined): string | null {
  return fields ? JSON.stringify(fields) : null;
}
