import type { FastifyRequest } from 'fastify';
import type { LoginMethod } from '../sessions/session.service.js';

/** Who the identity provider says the person is, after every check of the protocol passed. */
export interface VerifiedIdentity {
  /** Credential type under which the link is stored: `google`, `facebook`, `oidc:<id>`, `saml`, `cas`. */
  provider: string;
  /** The provider's stable identifier of the person (OIDC `sub`, Facebook `id`, SAML NameID, CAS uid). */
  subject: string;
  email: string | null;
  /** Only a provider-verified e-mail may link to an existing account (CONTRACT §5 "Linking"). */
  emailVerified: boolean;
  /** A preferred user name (CAS uid); defaults to the e-mail. */
  username?: string | null;
}

/**
 * State a flow keeps between the redirect to the provider and its return: in the signed flow cookie (OAuth/OIDC,
 * CAS), or on the server under the RelayState (SAML's request ID, saml-requests.ts).
 */
export type FlowState = Record<string, string>;

/** The first half of a login: where to send the browser, and what to remember until it comes back. */
export interface FlowStart {
  /** A URL to redirect to (GET), or an auto-submitting form to render (HTTP-POST bindings). */
  redirect: { url: string } | { form: { action: string; fields: Record<string, string> } };
  state: FlowState;
}

/**
 * One login method. Every provider — Google, Facebook, any OIDC, SAML 2.0, CAS — implements this, so adding one
 * is one file: `start` builds the redirect (with PKCE, state, nonce or request ids as the protocol has them),
 * `finish` validates the return and yields a verified identity or throws an AppError.
 */
export interface LoginProvider {
  /** Path segment and flow-cookie tag: `google`, `facebook`, `oidc/<id>`, `saml`, `cas`. */
  readonly id: string;
  /** The session method recorded for logins through it. */
  readonly method: LoginMethod;
  /** The strategy name clients use in `disableStrategies`. */
  readonly strategy: string;
  start(input: { callbackUrl: string }): Promise<FlowStart>;
  finish(input: { request: FastifyRequest; callbackUrl: string; state: FlowState }): Promise<VerifiedIdentity>;
}
