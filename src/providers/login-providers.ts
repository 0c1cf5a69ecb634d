import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import { CasProvider } from './cas.js';
import { FacebookLoginProvider } from './facebook.js';
import { googleProvider } from './google.js';
import { genericOidcProvider } from './oidc.js';
import { OneTimeIds } from './one-time-ids.js';
import type { LoginProvider } from './provider.js';
import { SamlProvider } from './saml.js';
import { SamlBinding } from './saml-binding.js';
import { SamlCompletions } from './saml-completions.js';
import { SamlRequests } from './saml-requests.js';

/** The SAML service provider and the two stores its finish step needs (saml.routes.ts). */
export interface SamlParts {
  provider: SamlProvider;
  completions: SamlCompletions;
  binding: SamlBinding;
}

/** Every identity provider this server is configured for; `null` (or absent from the map) when it is not. */
export interface LoginProviders {
  google: LoginProvider | null;
  facebook: LoginProvider | null;
  oidc: ReadonlyMap<string, LoginProvider>;
  saml: SamlParts | null;
  cas: CasProvider | null;
}

/**
 * Builds the configured providers once, at the composition root. Why not in the route plugins: routes only route
 * (DESIGN.md "Principles"); what a provider needs — its config, the database for one-time state, time and
 * randomness — is decided here, where a test can also build them without an HTTP server.
 */
export function buildLoginProviders(config: Config, db: Kysely<DB>, clock: Clock, random: RandomSource): LoginProviders {
  const { google, facebook, oidc } = config.providers;
  return {
    google: google ? googleProvider(google, config) : null,
    facebook: facebook ? new FacebookLoginProvider(facebook) : null,
    oidc: new Map(oidc.map((settings) => [settings.id, genericOidcProvider(settings, config)])),
    saml: config.saml.enabled ? {
      provider: new SamlProvider(config, clock, random, new OneTimeIds(db), new SamlRequests(db, clock)),
      completions: new SamlCompletions(db, clock, random),
      binding: new SamlBinding(config, random),
    } : null,
    cas: config.cas.enabled && config.cas.serverUrl ? new CasProvider(config, new OneTimeIds(db), clock) : null,
  };
}
