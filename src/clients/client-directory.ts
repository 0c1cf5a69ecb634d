import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';
import { findClient, findClientByCallback, isClientCallbackOrigin, type Client } from './client.repository.js';

/**
 * The questions other features ask about registered clients, bound to the database once by the composition root.
 * Why: hosted pages, provider flows, logout's `?redirect=` and the login-CSRF rule need to know clients, not the
 * database; they receive this instead of a connection (DESIGN "Dependencies point down").
 */
export interface ClientDirectory {
  /** A client by id. */
  find(clientId: string): Promise<Client | undefined>;
  /** Whether `url` is exactly the callbackURL of a registered client (redirects go only there, seed 000). */
  isRegisteredCallback(url: string): Promise<boolean>;
  /** Whether `origin` is the origin of some registered client's callbackURL (login CSRF, CONTRACT §5). */
  isCallbackOrigin(origin: string): Promise<boolean>;
}

/** The directory over `db`; why a function: one place binds the repository's queries to the app's database. */
export function clientDirectory(db: Kysely<DB>): ClientDirectory {
  return {
    find: (clientId) => findClient(db, clientId),
    isRegisteredCallback: async (url) => (await findClientByCallback(db, url)) !== undefined,
    isCallbackOrigin: (origin) => isClientCallbackOrigin(db, origin),
  };
}
