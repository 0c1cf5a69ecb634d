import type { FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { isLoopback, type Config, type OidcProviderConfig } from '../config/index.js';
import { AppError } from '../http/errors.js';
import type { LoginMethod } from '../sessions/session.service.js';
import type { FlowStart, FlowState, LoginProvider, VerifiedIdentity } from './provider.js';

/** What an OpenID Connect login needs to know about one issuer and Gatehouse's registration there. */
export interface OidcSettings {
  /** Path segment and flow-cookie tag (`google`, `oidc/<id>`). */
  id: string;
  method: LoginMethod;
  strategy: string;
  /** Credential type links are stored under (`google`, `oidc:<id>`). */
  credentialType: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

/** True when requests to `url` may go over plain http: a loopback host, or verification switched off. */
export function insecureAllowed(url: string, config: Config): boolean {
  return config.https.disableVerification || isLoopback(new URL(url).hostname);
}

/** The callback's URL as the provider sent the browser to it: the registered redirect URI plus the query. */
export function currentUrl(request: FastifyRequest, callbackUrl: string): URL {
  const url = new URL(callbackUrl);
  url.search = new URL(request.url, 'http://local').search;
  return url;
}

/** Turns any failure of the protocol library into a 400 the flow can report, keeping AppErrors as they are. */
function protocolError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('invalid-request', `the identity provider's answer was refused: ${message}`);
}

/**
 * Any OpenID Connect issuer, through openid-client: discovery (cached), authorization code with PKCE (S256), state
 * and nonce; the ID token is checked by the library (signature, issuer, audience, nonce, expiry).
 */
export class OidcLoginProvider implements LoginProvider {
  readonly id: string;
  readonly method: LoginMethod;
  readonly strategy: string;
  private discovered: Promise<client.Configuration> | null = null;

  constructor(
    private readonly settings: OidcSettings,
    private readonly config: Config,
  ) {
    this.id = settings.id;
    this.method = settings.method;
    this.strategy = settings.strategy;
  }

  /** Discovery once per provider; a failed discovery is retried on the next login. */
  private configuration(): Promise<client.Configuration> {
    if (!this.discovered) {
      const { issuer, clientId, clientSecret } = this.settings;
      const execute = insecureAllowed(issuer, this.config) ? [client.allowInsecureRequests] : [];
      this.discovered = client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretPost(clientSecret), { execute, timeout: 10 })
        .catch((error: unknown) => {
          this.discovered = null;
          throw new AppError('unavailable', `identity provider discovery failed: ${error instanceof Error ? error.message : String(error)}`);
        });
    }
    return this.discovered;
  }

  async start({ callbackUrl }: { callbackUrl: string }): Promise<FlowStart> {
    const configuration = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: callbackUrl,
      response_type: 'code',
      scope: this.settings.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { redirect: { url: url.href }, state: { verifier, state, nonce } };
  }

  async finish({ request, callbackUrl, state }: { request: FastifyRequest; callbackUrl: string; state: FlowState }): Promise<VerifiedIdentity> {
    const { verifier, nonce } = state;
    if (!verifier || !state.state || !nonce) throw new AppError('invalid-request', 'the login flow is incomplete');
    const configuration = await this.configuration();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, currentUrl(request, callbackUrl), {
        pkceCodeVerifier: verifier, expectedState: state.state, expectedNonce: nonce, idTokenExpected: true,
      });
    } catch (error) {
      throw protocolError(error);
    }
    const claims = tokens.claims();
    if (!claims?.sub) throw new AppError('invalid-request', 'the identity provider sent no subject');
    let email = typeof claims.email === 'string' ? claims.email : null;
    let verified = claims.email_verified === true;
    if (!email) {
      try {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        email = typeof info.email === 'string' ? info.email : null;
        verified = info.email_verified === true;
      } catch (error) {
        throw protocolError(error);
      }
    }
    return { provider: this.settings.credentialType, subject: claims.sub, email, emailVerified: email !== null && verified };
  }
}

/** A generic provider from `providers.oidc[]`: path `oidc/<id>`, strategy `oidc` (clients may also disable `oidc:<id>`). */
export function genericOidcProvider(settings: OidcProviderConfig, config: Config): OidcLoginProvider {
  return new OidcLoginProvider({
    id: `oidc/${settings.id}`, method: 'oidc', strategy: 'oidc', credentialType: `oidc:${settings.id}`,
    issuer: settings.issuer, clientId: settings.clientId, clientSecret: settings.clientSecret, scopes: settings.scopes,
  }, config);
}
