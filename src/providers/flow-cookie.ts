import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { hmac, safeEqual } from '../util/hashing.js';
import type { FlowOrigin } from './flow-origin.js';
import type { FlowState } from './provider.js';

/** The flow cookie's name: separate from the auth cookie, whose attributes `cookie.*` configure. */
export const FLOW_COOKIE = 'gh_flow';
/** How long a person may take at the provider before the flow is void. */
export const FLOW_TTL_MS = 10 * 60_000;

interface FlowCookie {
  provider: string;
  state: FlowState;
  /** The registered client that started the flow, if any: the token goes to its callbackURL. */
  clientId: string | null;
  /** The OpenID interaction the client's hosted login ran for, if any: the login goes back to it. */
  interaction?: string | null;
  expiresAt: number;
}

/**
 * Keeps an OAuth/OIDC or CAS flow's secrets (PKCE verifier, state, nonce) in the browser that started it, signed
 * with the server key so it cannot be forged and binds the return to that browser. SameSite=Lax because the
 * provider's return is a cross-site top-level navigation (CONTRACT §5 "Flow cookies"). SAML uses none: its Response
 * returns by a cross-site POST, so its flow is kept in the database (saml-requests.ts, saml-binding.ts).
 */
export class FlowCookies {
  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly serverKey: string,
  ) {}

  /** Stores the flow in the browser. */
  set(reply: FastifyReply, provider: string, state: FlowState, origin: FlowOrigin): void {
    const payload: FlowCookie = { provider, state, clientId: origin.clientId, interaction: origin.interaction, expiresAt: this.clock.now() + FLOW_TTL_MS };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    reply.setCookie(FLOW_COOKIE, `${body}.${this.sign(body)}`, this.options(FLOW_TTL_MS / 1000));
  }

  /** The flow of this browser for `provider`, or null when missing, forged, expired or for another provider. */
  read(request: FastifyRequest, provider: string): { state: FlowState; origin: FlowOrigin } | null {
    const raw = request.cookies?.[FLOW_COOKIE];
    if (!raw) return null;
    const [body, signature] = raw.split('.');
    if (!body || !signature || !safeEqual(signature, this.sign(body))) return null;
    try {
      const flow = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as FlowCookie;
      if (flow.provider !== provider || flow.expiresAt <= this.clock.now()) return null;
      // A flow sealed by a node from before interactions travelled along has none (a rolling upgrade).
      return { state: flow.state, origin: { clientId: flow.clientId, interaction: flow.interaction ?? null } };
    } catch {
      return null;
    }
  }

  /** A flow is used once: the cookie goes as soon as the provider has returned. */
  clear(reply: FastifyReply): void {
    reply.clearCookie(FLOW_COOKIE, { ...this.options(0), maxAge: 0, expires: new Date(0) });
  }

  private sign(body: string): string {
    return hmac(this.serverKey, `flow:${body}`);
  }

  private options(maxAgeSeconds: number): CookieSerializeOptions {
    return { path: '/', httpOnly: true, secure: this.config.cookie.secure, sameSite: 'lax', maxAge: maxAgeSeconds };
  }
}
