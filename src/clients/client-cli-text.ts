import { readFileSync } from 'node:fs';
import type { FieldError } from '../http/errors.js';
import type { ClientInput } from './client.service.js';
import type { OidcClientFields } from '../config/oidc-client-fields.js';

/*
 * What `gatehouse client add` says: the API's field problems named by the flags that set them, and the OpenID
 * fields of a new client. Apart from client.cli.ts, which runs the commands.
 */

/** The flag that sets each field of the API (client.schemas.ts). */
const FLAGS: Record<string, string> = {
  clientID: '--id', callbackURL: '--callback', name: '--name', 'config.tokenMethod': '--token-method', 'config.disableStrategies': '--disable',
  redirectUris: '--redirect-uri', postLogoutRedirectUris: '--post-logout-redirect-uri', grantTypes: '--grant-type',
  tokenEndpointAuthMethod: '--auth-method', scopes: '--scope', firstParty: '--first-party', backchannelLogoutUri: '--backchannel-logout-uri',
  jwks: '--jwks', jwksUri: '--jwks-uri',
};

/** Lists whose problems name an item (`redirectUris.2`), shown with the item's value, as the flag may be given many times. */
const VALUE_LISTS = ['redirectUris', 'postLogoutRedirectUris', 'scopes'] as const;

/** One problem line: `--redirect-uri "http://app.example/cb": must be an https:// URL …`, `--jwks: keys[0]: …`. */
export function flagProblem(error: FieldError, input: ClientInput): string {
  const [base, ...rest] = error.field.split('.');
  const flag = FLAGS[error.field] ?? FLAGS[base!] ?? error.field;
  const list = VALUE_LISTS.find((name) => name === base);
  if (list && rest.length === 1 && /^\d+$/.test(rest[0]!)) return `${flag} ${JSON.stringify(input[list]?.[Number(rest[0])])}: ${error.message}`;
  if (base === 'jwks' && rest.length > 0) return `${flag}: ${rest.join('.').replace(/\.(\d+)/g, '[$1]')}: ${error.message}`;
  return `${flag}: ${error.message}`;
}

/** Reads `--jwks FILE` (a JWK Set as JSON); a problem naming the flag when it cannot. */
export function readJwksFile(path: string, problems: string[]): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    problems.push(`--jwks: cannot read a JWK Set from ${path} (${(error as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** The OpenID fields of a client just added, as lines for the terminal. */
export function describeOidc(oidc: OidcClientFields): string {
  const lines = [
    `OpenID client: grant types ${oidc.grantTypes.join(',')}; auth method ${oidc.tokenEndpointAuthMethod}; scopes ${oidc.scopes.join(' ')}${oidc.firstParty ? '; first party (no consent page)' : ''}`,
  ];
  if (oidc.redirectUris.length) lines.push(`  redirect URIs: ${oidc.redirectUris.join(' ')}`);
  if (oidc.postLogoutRedirectUris.length) lines.push(`  post-logout redirect URIs: ${oidc.postLogoutRedirectUris.join(' ')}`);
  if (oidc.backchannelLogoutUri) lines.push(`  back-channel logout: ${oidc.backchannelLogoutUri}`);
  if (oidc.jwksUri) lines.push(`  JWKS: ${oidc.jwksUri}`);
  if (oidc.jwks) lines.push(`  JWKS: ${oidc.jwks.keys.length} key(s) by value`);
  return `${lines.join('\n')}\n`;
}
