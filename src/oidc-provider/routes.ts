/** Where the provider's endpoints live; discovery names them, so clients find them there (CONTRACT §5). */
export const PROVIDER_PREFIX = '/oidc';

/** node-oidc-provider's routes (its `routes` option): under `/oidc`, the JWKS shared with every other key. */
export const PROVIDER_ROUTES = {
  authorization: `${PROVIDER_PREFIX}/auth`,
  token: `${PROVIDER_PREFIX}/token`,
  userinfo: `${PROVIDER_PREFIX}/userinfo`,
  introspection: `${PROVIDER_PREFIX}/token/introspection`,
  revocation: `${PROVIDER_PREFIX}/token/revocation`,
  end_session: `${PROVIDER_PREFIX}/session/end`,
  // Served by Gatehouse itself (tokens/keys.routes.ts): one JWKS for access tokens and the provider.
  jwks: '/.well-known/jwks.json',
  code_verification: `${PROVIDER_PREFIX}/device`,
  device_authorization: `${PROVIDER_PREFIX}/device/auth`,
  pushed_authorization_request: `${PROVIDER_PREFIX}/request`,
  registration: `${PROVIDER_PREFIX}/reg`,
  backchannel_authentication: `${PROVIDER_PREFIX}/backchannel`,
  challenge: `${PROVIDER_PREFIX}/challenge`,
};

/** Our own pages for the provider's interactions (login, consent): oidc-provider/interaction.routes.ts. */
export { INTERACTION_PATH } from '../sign-in/interaction-return.js';

/** Discovery documents: OpenID Connect Discovery 1.0 and RFC 8414, both at the issuer's root. */
export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;
