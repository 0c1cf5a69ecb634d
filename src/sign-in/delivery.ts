import type { FastifyReply, FastifyRequest } from 'fastify';
import { deliverToken } from '../clients/token-delivery.js';
import type { Config } from '../config/index.js';
import { setAuthCookie } from '../sessions/cookies.js';
import type { Handover, SignedIn } from './attempt.js';

/**
 * Writes a cookie sign-in's credential into the answer: the auth cookie, with the Max-Age asked for. Why here:
 * every way in that ends in a cookie session (`POST /auth/cookie`, the account page, provider flows) sets it alike.
 */
export function setSessionCookie(reply: FastifyReply, config: Config, signedIn: SignedIn<Extract<Handover, { kind: 'cookie' }>>): void {
  setAuthCookie(reply, config, signedIn.handover.credential, signedIn.handover.maxAgeSeconds);
}

/**
 * Hands a registered client its access token by the client's `tokenMethod` (clients/token-delivery.ts); `continueTo`
 * lets provider flows continue from their landing page instead of a plain redirect.
 */
export function sendToClient(
  request: FastifyRequest, reply: FastifyReply, config: Config, signedIn: SignedIn<Extract<Handover, { kind: 'client' }>>,
  continueTo?: (url: string) => FastifyReply,
): FastifyReply {
  const { client, delivery } = signedIn.handover;
  return deliverToken(request, reply, config, client, delivery, continueTo);
}
