import type { Kysely } from 'kysely';
import { findAccountById } from '../accounts/account.repository.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';

/**
 * Only a person's account may hold a second factor. Why: a guest (`POST /api/auth/guest`) or an API key never signs in
 * with a password or a passkey — a passkey login refuses them — so a factor would be of no use to it, and would only
 * turn its own account's changes into step-up. `forbidden` for them; `unauthorized` for an account gone meanwhile.
 */
export async function assertMayHoldFactor(db: Kysely<DB>, accountId: string, factor: 'a passkey' | 'an authenticator app'): Promise<void> {
  const account = await findAccountById(db, accountId);
  if (!account) throw new AppError('unauthorized', 'the account no longer exists');
  if (account.type !== 'user') throw new AppError('forbidden', `a ${account.type === 'guest' ? 'guest' : 'API key'} account cannot have ${factor}: only a person's account signs in with one`);
}
