import type { FastifyReply, FastifyRequest } from 'fastify';
import { deliverToken } from '../clients/token-delivery.js';
import type { Config } from '../config/index.js';
import { setAuthCookie } from '../sessions/cookies.js';
import type { Handover, SignedIn } from './attempt.js';
import { interactionUrl } from './interaction-return.js';

/**
 * Writes a cookie sign-in's credential into the answer: the auth cookie, with the Max-Age asked for. Why here:
 * every way in that ends in a cookie session (`POST /auth/cookie`, the account page, provider flows) sets it alike.
 */
export function setSessionCookie(reply: FastifyReply, config: Config, signedIn: SignedIn<Extract<Handover, { kind: 'cookie' }>>): void {
  setAuthCookie(reply, config, signedIn.handover.credential, signedIn.handover.maxAgeSeconds);
}

/**
 * Hands a registered client its access token by the client's `tokenMethod` (clients/token-delivery.ts); `continueTo`
 * lets provider flows continue from their landing page instead of a plain redirect. A sign-in for an OpenID
 * interaction instead sets the auth cookie and goes back to the interaction, which hands the session to the provider.
 */
export function sendToClient(
  request: FastifyRequest, reply: FastifyReply, config: Config, signedIn: SignedIn<Extract<Handover, { kind: 'client' }>>,
  continueTo?: (url: string) => FastifyReply,
): FastifyReply {
  const { handover } = signedIn;
  if ('interaction' in handover) {
    // A step-up raised the session the browser's cookie already names: no new cookie.
    if (handover.interaction.credential) setAuthCookie(reply, config, handover.interaction.credential, handover.interaction.maxAgeSeconds);
    const target = interactionUrl(config.server.baseUrl, handover.interaction.uid);
    return continueTo ? continueTo(target) : reply.redirect(target, 303);
  }
  return deliverToken(request, reply, config, handover.client, handover.delivery, continueTo);
}
