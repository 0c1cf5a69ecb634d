/**
 * The configuration rules that span keys (CONTRACT §2): values derived from others, and checks no single field can
 * make — an HS512 secret, unique ids, provider URLs, keys a switch requires, trustProxy's safety.
 */
import { describeValue } from './durations.js';
import type { Config } from './schema.js';
import { checkTrustProxy } from './trust-proxy.js';

/** Fills values that depend on other keys (CONTRACT §2: cookie.path auto, sameSite none forces secure). */
export function deriveValues(config: Config): void {
  if (config.cookie.path === 'auto') config.cookie.path = new URL(config.server.baseUrl).pathname.replace(/(.)\/+$/, '$1');
  if (config.cookie.sameSite === 'none') config.cookie.secure = true;
  for (const provider of config.providers.oidc) if (provider.name === '') provider.name = provider.id;
  // WebAuthn compares origins exactly (scheme, host, port): the server's own unless others are named.
  if (config.mfa.webauthn.origins.length === 0) config.mfa.webauthn.origins = [new URL(config.server.baseUrl).origin];
  else config.mfa.webauthn.origins = config.mfa.webauthn.origins.map((origin) => new URL(origin).origin);
}

/** Rules that span several keys; each broken one adds a problem line naming its key. */
export function checkRules(config: Config, problems: string[]): void {
  checkHmacSecret(config, problems);
  checkUnique(config.clients.map((client) => client.clientID), 'clients', 'clientID', problems);
  checkUnique(config.providers.oidc.map((provider) => provider.id), 'providers.oidc', 'id', problems);
  checkUnique(config.oidc.resources.map((resource) => resource.indicator), 'oidc.resources', 'indicator', problems);
  checkProviderUrls(config, problems);
  checkRequired(config, problems);
  checkTrustProxy(config.server, problems);
  const { memoryCost, parallelism } = config.password.hash;
  if (memoryCost < 8 * parallelism) problems.push(`password.hash.memoryCost: must be at least 8 × password.hash.parallelism (${8 * parallelism}) KiB (got ${memoryCost})`);
}

/** True when a key already has a problem line; why: a bad value must not also be reported as missing. */
function hasProblem(problems: readonly string[], path: string): boolean {
  return problems.some((line) => line.startsWith(`${path}:`));
}

function checkHmacSecret(config: Config, problems: string[]): void {
  if (config.tokens.algorithm !== 'HS512' || hasProblem(problems, 'tokens.hmacSecret')) return;
  const secretValue = config.tokens.hmacSecret;
  if (secretValue === null) problems.push('tokens.hmacSecret: required when tokens.algorithm is HS512');
  else if (secretValue.length < 35) problems.push(`tokens.hmacSecret: must be at least 35 characters when tokens.algorithm is HS512 (got ${secretValue.length})`);
}

function checkUnique(values: string[], listPath: string, key: string, problems: string[]): void {
  values.forEach((value, index) => {
    const first = values.indexOf(value);
    if (value !== '' && first < index) problems.push(`${listPath}[${index}].${key}: duplicate of ${listPath}[${first}].${key} (${describeValue(value)})`);
  });
}

/** Provider URLs (CONTRACT §2, https.disableVerification): https only, except loopback hosts or when disabled. */
function checkProviderUrls(config: Config, problems: string[]): void {
  if (config.https.disableVerification) return;
  for (const [path, value] of providerUrls(config)) {
    if (value === null || value === '') continue;
    const parsed = URL.canParse(value) ? new URL(value) : undefined;
    if (parsed === undefined || parsed.protocol === 'https:' || parsed.protocol === 'file:' || isLoopback(parsed.hostname)) continue;
    problems.push(`${path}: must be an https:// URL unless the host is loopback or https.disableVerification is true (got ${describeValue(value)})`);
  }
}

function providerUrls(config: Config): Array<[string, string | null]> {
  const { google, facebook, oidc } = config.providers;
  const urls: Array<[string, string | null]> = [
    ['saml.idpMetadataUrl', config.saml.idpMetadataUrl],
    ['cas.serverUrl', config.cas.serverUrl],
  ];
  if (google) urls.push(['providers.google.issuer', google.issuer]);
  if (facebook) {
    urls.push(['providers.facebook.authorizationUrl', facebook.authorizationUrl]);
    urls.push(['providers.facebook.tokenUrl', facebook.tokenUrl]);
    urls.push(['providers.facebook.userInfoUrl', facebook.userInfoUrl]);
  }
  oidc.forEach((provider, index) => urls.push([`providers.oidc[${index}].issuer`, provider.issuer]));
  return urls;
}

/** True for `localhost`, 127.0.0.0/8 and `[::1]`; why: local test IdPs run without TLS. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function checkRequired(config: Config, problems: string[]): void {
  const required: Array<[boolean, string, string]> = [
    [config.saml.enabled && config.saml.relyingPartyId === null, 'saml.relyingPartyId', 'saml.enabled'],
    [config.saml.enabled && config.saml.idpMetadataUrl === null, 'saml.idpMetadataUrl', 'saml.enabled'],
    [config.cas.enabled && config.cas.serverUrl === null, 'cas.serverUrl', 'cas.enabled'],
  ];
  // The provider's records in Redis need a Redis; refused here, not at the first sign-in.
  if (config.oidc.store === 'redis' && config.redis.url === null && !hasProblem(problems, 'redis.url')) problems.push('oidc.store: redis requires redis.url (or REDIS_URL)');
  for (const [missing, path, switchKey] of required) {
    if (missing && !hasProblem(problems, path)) problems.push(`${path}: required when ${switchKey} is true`);
  }
}
