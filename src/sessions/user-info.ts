import type { FastifyRequest } from 'fastify';
import { parseAcceptLanguage } from '../http/accept-language.js';
import { AppError } from '../http/errors.js';

/** Seed 001's UserInfo of a signed-in caller. Why shared: `/auth/user`, `/auth/cookie` and `/auth/basic` answer it alike. */
export function userInfo(request: FastifyRequest, account: { id: string; username: string; language: string | null } | null, expiresAt: number | null) {
  if (!account) throw new AppError('invalid-token', 'the account no longer exists');
  return {
    id: account.id,
    user: account.username,
    language: account.language,
    authTokenExpires: iso(expiresAt),
    clientAcceptLanguage: parseAcceptLanguage(request.headers['accept-language']),
  };
}

/** A stored millisecond time as ISO 8601, `null` kept. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
