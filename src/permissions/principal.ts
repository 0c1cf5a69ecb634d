/**
 * Who is acting, for permission checks. Why in permissions/: the principal is what grants, rank and the wildcard
 * matcher reason about; accounts/ builds one (AccountService.principal), clients/ and groups only check it, so it
 * lives below all of them and no folder has to import accounts/ to name it.
 */
export interface Principal {
  accountId: string;
  sessionId: string;
  roles: string[];
  permissions: string[];
}

/**
 * Who the caller is and whether they may: what every admin route asks before acting (AccountService implements it).
 * Why an interface here: route plugins of clients/, groups and invites check permissions without importing accounts/.
 */
export interface PrincipalSource {
  principal(accountId: string, sessionId: string): Promise<Principal>;
  /** Throws `forbidden` unless the principal holds `permission`. */
  requirePermission(principal: Principal, permission: string): void;
}
