import type { Config, GoogleProviderConfig } from '../config/index.js';
import { OidcLoginProvider } from './oidc.js';

/**
 * Google sign-in: OpenID Connect against `providers.google.issuer` (default `https://accounts.google.com`), so it is
 * the generic OIDC provider with Google's names: path, strategy, session method and credential type `google`.
 */
export function googleProvider(settings: GoogleProviderConfig, config: Config): OidcLoginProvider {
  return new OidcLoginProvider({
    id: 'google', method: 'google', strategy: 'google', credentialType: 'google',
    issuer: settings.issuer, clientId: settings.clientId, clientSecret: settings.clientSecret, scopes: settings.scopes,
  }, config);
}
