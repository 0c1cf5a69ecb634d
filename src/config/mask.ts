/**
 * The configuration with its secrets replaced, for `gatehouse config check` and logs.
 */
import type { Config } from './schema.js';

/** What a masked secret reads as. */
export const MASK = '******';

/**
 * Returns a deep, unfrozen copy of the configuration with every set secret replaced by `******`.
 * Why: operators must be able to print the effective configuration without leaking credentials.
 */
export function maskSecrets(config: Config): unknown {
  const copy = structuredClone(config) as Config;
  copy.tokens.hmacSecret = maskValue(copy.tokens.hmacSecret);
  copy.signup.confirmationKey = maskValue(copy.signup.confirmationKey);
  copy.admin.passwordOverride = maskValue(copy.admin.passwordOverride);
  copy.admin.initialPassword = maskValue(copy.admin.initialPassword);
  copy.database.url = maskUrlPassword(copy.database.url);
  copy.redis.url = copy.redis.url === null ? null : maskUrlPassword(copy.redis.url);
  copy.email.smtpUrl = copy.email.smtpUrl === null ? null : maskUrlPassword(copy.email.smtpUrl);
  if (copy.providers.google) copy.providers.google.clientSecret = MASK;
  if (copy.providers.facebook) copy.providers.facebook.clientSecret = MASK;
  for (const provider of copy.providers.oidc) provider.clientSecret = MASK;
  for (const client of copy.clients) client.clientSecret = maskValue(client.clientSecret);
  return copy;
}

function maskValue(value: string | null): string | null {
  return value === null ? null : MASK;
}

/**
 * Replaces the password of a URL's userinfo (`scheme://user:secret@host`) and of its `password`/`sslpassword` query
 * parameters (libpq and node-postgres read `?password=` too), leaving the rest as written.
 * Why: string surgery keeps the URL exactly as configured, where `URL` would re-serialise it.
 */
export function maskUrlPassword(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#]*@/i, (_match, head: string) => `${head}${MASK}@`)
    .replace(/([?&](?:ssl)?password=)[^&#]*/gi, (_match, head: string) => `${head}${MASK}`);
}
