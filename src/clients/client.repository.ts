import type { Kysely } from 'kysely';
import type { ClientSeed } from '../config/index.js';
import type { DB } from '../db/types.js';

/** A registered client (seed 000): tokens are only ever delivered to its callbackURL. */
export interface Client {
  clientID: string;
  callbackURL: string;
  config: ClientSeed['config'];
}

/** A client by id. */
export async function findClient(db: Kysely<DB>, clientId: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  return row && { clientID: row.client_id, callbackURL: row.callback_url, config: JSON.parse(row.config) as Client['config'] };
}

/** Writes the clients of `clients` in the configuration, replacing stored ones of the same id. */
export async function seedClients(db: Kysely<DB>, clients: readonly ClientSeed[], now: number): Promise<void> {
  for (const client of clients) {
    const values = { client_id: client.clientID, callback_url: client.callbackURL, config: JSON.stringify(client.config), created_at: now };
    await db
      .insertInto('clients')
      .values(values)
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ callback_url: values.callback_url, config: values.config }))
      .execute();
  }
}

/** The client whose callbackURL is exactly `url`: redirects go only there (seed 000). */
export async function findClientByCallback(db: Kysely<DB>, url: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('callback_url', '=', url).executeTakeFirst();
  return row && { clientID: row.client_id, callbackURL: row.callback_url, config: JSON.parse(row.config) as Client['config'] };
}
