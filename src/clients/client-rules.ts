import { AppError, invalidField } from '../http/errors.js';
import type { ClientDirectory } from './client-directory.js';
import type { Client } from './client.repository.js';

/**
 * Whether a client accepts a way in (seed 000's `disableStrategies`: `password`, `google`, `oidc`, `oidc:<id>` …).
 * Why one function: "this client refuses passwords" decides the sign-in (sign-in/steps/method-allowed.ts) and what the
 * hosted pages offer (login, registration, password reset); written once, it cannot differ between them.
 */
export function clientAccepts(client: Client, strategy: string): boolean {
  return !client.config.disableStrategies.includes(strategy);
}

/** Refuses a way in the client disabled: `login-method-disabled` (sign-in step 1, provider flows before they start, the reset page). */
export function assertClientAccepts(client: Client, strategy: string): void {
  if (clientAccepts(client, strategy)) return;
  throw new AppError('login-method-disabled', `this client does not accept ${strategy === 'password' ? 'passwords' : strategy}`);
}

/** The client a hosted page is for; a missing, repeated or unknown clientID is a `400` naming `clientID`. */
export async function requireClient(clients: Pick<ClientDirectory, 'find'>, clientId: unknown): Promise<Client> {
  if (clientId === undefined || clientId === '') throw invalidField('clientID', 'is required');
  if (typeof clientId !== 'string' || clientId.length > 128) throw invalidField('clientID', 'must be one client id');
  const client = await clients.find(clientId);
  if (!client) throw invalidField('clientID', 'is not a registered client');
  return client;
}
