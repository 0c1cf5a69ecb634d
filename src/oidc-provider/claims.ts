import type { Account, AccountClaims, FindAccount } from 'oidc-provider';
import type { AccountService } from '../accounts/account.service.js';
import type { AccountView } from '../accounts/account.view.js';
import { AppError } from '../http/errors.js';

/** The scopes the provider knows, and the claims each releases (CONTRACT §5; OIDC Core §5.4 for the standard ones). */
export const SCOPE_CLAIMS = {
  // How and when the person signed in, in every ID token (CONTRACT §5): the provider releases only claims a granted
  // scope names, and would otherwise add these only when a client asks for them one by one.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['preferred_username', 'name', 'locale'],
  email: ['email', 'email_verified'],
  roles: ['roles'],
  groups: ['groups'],
} as const;

/** Every scope the provider recognises: the claim scopes and `offline_access` (refresh tokens). */
export const KNOWN_SCOPES = [...Object.keys(SCOPE_CLAIMS), 'offline_access'];

/**
 * node-oidc-provider's `findAccount`: the account by its id (the `sub`), and its claims. Why `sub` is the account id:
 * it is stable across e-mail changes and the same id every other Gatehouse API uses. A deleted account is not found,
 * so its codes and refresh tokens stop working.
 */
export function accountFinder(accounts: Pick<AccountService, 'view'>): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const view = await viewOrNone(accounts, sub);
    if (!view || view.type === 'apikey') return undefined;
    return { accountId: view.id, claims: () => claimsOf(view) };
  };
}

async function viewOrNone(accounts: Pick<AccountService, 'view'>, id: string): Promise<AccountView | undefined> {
  try {
    return await accounts.view(id);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not-found') return undefined;
    throw error;
  }
}

/** All claims of an account; the provider releases only those the granted scopes name. */
function claimsOf(view: AccountView): AccountClaims {
  return {
    sub: view.id,
    preferred_username: view.username,
    name: view.username,
    ...(view.language ? { locale: view.language } : {}),
    ...(view.email ? { email: view.email, email_verified: view.confirmed } : {}),
    roles: view.roles,
    groups: view.groups,
  };
}
