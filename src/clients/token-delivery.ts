import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { authCookieOptions } from '../sessions/cookies.js';
import type { Client } from './client.repository.js';

/** An access token ready for a client. */
export interface Delivery {
  token: string;
  accountId: string;
  /** Lifetime left, for the cookie's Max-Age. */
  ttlSeconds: number;
}

/**
 * Hands a token to a registered client by its `tokenMethod` (seed 000): `query` and `cookie` redirect the browser
 * to the callbackURL (the only place a token is ever sent), `body` answers JSON — when it is the client's only
 * method, or the caller asked for JSON.
 */
export function deliverToken(
  request: FastifyRequest, reply: FastifyReply, config: Config, client: Client, delivery: Delivery,
  // Provider logins continue from a page of their own instead (src/providers/landing-page.ts).
  continueTo: (url: string) => FastifyReply = (url) => reply.redirect(url, 303),
): FastifyReply {
  const methods = client.config.tokenMethod;
  const wantsJson = /application\/json/i.test(request.headers['content-type'] ?? '');
  if (methods.includes('body') && (methods.length === 1 || wantsJson)) {
    return reply.code(200).send({ token: delivery.token, accountID: delivery.accountId });
  }
  const target = new URL(client.callbackURL);
  if (methods.includes('query')) target.searchParams.set('token', delivery.token);
  if (methods.includes('cookie')) {
    reply.setCookie(config.cookie.name, delivery.token, authCookieOptions(config, delivery.ttlSeconds));
  }
  return continueTo(target.toString());
}
