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
