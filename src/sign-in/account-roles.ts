import type { Kysely } from 'kysely';
import { findMemberships } from '../accounts/account.repository.js';
import type { AccountRow, DB } from '../db/types.js';

/**
 * The account's roles, read once per account row. Why: a password login needs them for the lockout rule and again
 * for its access token, and both use the row read at the start of the login (a refresh reads row and roles at once).
 * The row is the request's own, so a WeakMap keeps them exactly as long as the request.
 */
export class AccountRoles {
  private readonly byRow = new WeakMap<AccountRow, string[]>();

  constructor(private readonly db: Kysely<DB>) {}

  /** The roles of this account row, from memory when read before. */
  async of(account: AccountRow): Promise<string[]> {
    let roles = this.byRow.get(account);
    if (!roles) {
      roles = (await findMemberships(this.db, account.id)).roles;
      this.byRow.set(account, roles);
    }
    return roles;
  }

  /** Notes roles read together with the row, so they are not read again. */
  remember(account: AccountRow, roles: string[]): void {
    this.byRow.set(account, roles);
  }
}
