import type { FastifyRequest } from 'fastify';
import { calculatePKCECodeChallenge, randomPKCECodeVerifier, randomState } from 'openid-client';
import type { FacebookProviderConfig } from '../config/index.js';
import { AppError } from '../http/errors.js';
import { safeEqual } from '../util/hashing.js';
import type { FlowStart, FlowState, LoginProvider, VerifiedIdentity } from './provider.js';

const TIMEOUT_MS = 10_000;

/**
 * Facebook Login: plain OAuth 2.0 authorization code with PKCE (S256) and state — Facebook issues no ID token, so
 * the identity comes from the Graph API user-info (`id`, `email`, `name`) read with the access token.
 *
 * E-mail verification: Facebook returns an `email` only when the person has confirmed it with Facebook, and exposes
 * no `email_verified` flag, so an e-mail from Facebook counts as verified (it may link to an existing account).
 */
export class FacebookLoginProvider implements LoginProvider {
  readonly id = 'facebook';
  readonly method = 'facebook' as const;
  readonly strategy = 'facebook';

  constructor(private readonly settings: FacebookProviderConfig) {}

  async start({ callbackUrl }: { callbackUrl: string }): Promise<FlowStart> {
    const verifier = randomPKCECodeVerifier();
    const state = randomState();
    const url = new URL(this.settings.authorizationUrl);
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('redirect_uri', callbackUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', this.settings.scopes.join(' '));
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', await calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return { redirect: { url: url.href }, state: { verifier, state } };
  }

  async finish({ request, callbackUrl, state }: { request: FastifyRequest; callbackUrl: string; state: FlowState }): Promise<VerifiedIdentity> {
    const code = this.checkedCode(request.query as Record<string, unknown>, state);
    const accessToken = await this.exchange(code, callbackUrl, state.verifier!);
    return this.identity(await this.userInfo(accessToken));
  }

  /** Step 1: the return carries the state this browser was given, and a code. */
  private checkedCode(query: Record<string, unknown>, flow: FlowState): string {
    if (typeof query.error === 'string') throw new AppError('invalid-request', `Facebook refused the login: ${query.error}`);
    if (!flow.state || !flow.verifier) throw new AppError('invalid-request', 'the login flow is incomplete');
    if (typeof query.state !== 'string' || !safeEqual(query.state, flow.state)) throw new AppError('invalid-request', 'state does not match this login flow');
    if (typeof query.code !== 'string' || query.code === '') throw new AppError('invalid-request', 'the provider returned no authorization code');
    return query.code;
  }

  /** Step 2: the code and PKCE verifier buy an access token. */
  private async exchange(code: string, redirectUri: string, verifier: string): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier,
      client_id: this.settings.clientId, client_secret: this.settings.clientSecret,
    });
    const answer = await this.fetchJson(this.settings.tokenUrl, {
      method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    });
    if (typeof answer.access_token !== 'string' || answer.access_token === '') throw new AppError('invalid-request', 'the token endpoint returned no access token');
    return answer.access_token;
  }

  /** Step 3: the Graph API says who it is. */
  private userInfo(accessToken: string): Promise<Record<string, unknown>> {
    return this.fetchJson(this.settings.userInfoUrl, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
  }

  /** Step 4: `id` is the stable subject; an e-mail from Facebook is a confirmed one (see the class comment). */
  private identity(info: Record<string, unknown>): VerifiedIdentity {
    const subject = typeof info.id === 'string' || typeof info.id === 'number' ? String(info.id) : '';
    if (subject === '') throw new AppError('invalid-request', 'the user-info answer has no id');
    const email = typeof info.email === 'string' && info.email !== '' ? info.email : null;
    return { provider: 'facebook', subject, email, emailVerified: email !== null };
  }

  private async fetchJson(url: string, init: RequestInit): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw new AppError('unavailable', `Facebook could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok || typeof parsed !== 'object' || parsed === null) {
      throw new AppError('invalid-request', `Facebook answered ${response.status} at ${new URL(url).pathname}`);
    }
    return parsed as Record<string, unknown>;
  }
}
