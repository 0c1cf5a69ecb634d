import type { FastifyRequest } from 'fastify';
import { AppError } from '../http/errors.js';
import { MFA_TOKEN_PREFIX, type PendingSignIns } from './pending-sign-ins.js';

/**
 * Who is setting up a factor: the signed-in caller, or the account of an enrolment-only `mfaToken` in
 * `Authorization: Bearer` (`mfa.requiredFor`, CONTRACT §5). Why here and read by hand: that token is no credential
 * (the credential reader takes it for a guest), so only the enrolment routes — TOTP's and passkeys' — look for it.
 */
export async function enrollingAccount(request: FastifyRequest, pending: Pick<PendingSignIns, 'find'>): Promise<string> {
  if (request.auth) return request.auth.accountId;
  const bearer = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!bearer?.startsWith(MFA_TOKEN_PREFIX)) throw new AppError('unauthorized');
  const signIn = await pending.find(bearer);
  if (signIn?.enroll && !signIn.enrolled) return signIn.accountId;
  throw new AppError('invalid-token', 'the mfaToken is unknown, used, expired, or not one for enrolment');
}
