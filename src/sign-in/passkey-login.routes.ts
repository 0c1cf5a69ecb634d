import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { FastifyPluginAsync } from 'fastify';
import { clientInfo } from '../http/authenticate.js';
import { AppError } from '../http/errors.js';
import { errorResponses, OAuthToken, problemResponses } from '../http/schemas.js';
import { CeremonyOptions, MfaTokenBody, PasskeyLoginBody } from '../mfa/mfa.schemas.js';
import type { SecondFactors } from '../mfa/second-factors.js';
import type { SignIn } from './pipeline.js';

/** What the passkey sign-in routes use. */
export interface PasskeyLoginRouteDeps {
  signIn: SignIn;
  factors: Pick<SecondFactors, 'pending' | 'passkeys'>;
}

/**
 * Signing in with a passkey (CONTRACT §5): the passwordless login (request options with an empty allow-list, then the
 * assertion, through the one sign-in pipeline: client rules, lockout, session, audit), and the request options of a
 * parked sign-in's account for answering its second step with a passkey (`POST /api/auth/mfa/verify`).
 */
export const passkeyLoginRoutes: FastifyPluginAsync<PasskeyLoginRouteDeps> = async (fastify, { signIn, factors }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { passkeys } = factors;
  const requireEnabled = () => {
    if (!passkeys.enabled) throw new AppError('not-found', 'passkeys are disabled on this server (mfa.webauthn.enabled)');
  };

  app.post('/api/auth/passkey/options', {
    schema: { tags: ['auth'], summary: 'Request options for a passwordless passkey login (empty allowCredentials)', response: { 200: CeremonyOptions, ...errorResponses } },
  }, async () => {
    requireEnabled();
    return passkeys.requestOptions('login', null);
  });

  app.post('/api/auth/passkey/login', {
    schema: {
      tags: ['auth'], summary: 'Sign in with a passkey alone (navigator.credentials.get); returns an OAuthToken', body: PasskeyLoginBody,
      response: { 200: OAuthToken, ...errorResponses, ...problemResponses('invalid-credentials', 'account-locked', 'login-method-disabled') },
    },
  }, async (request) => {
    requireEnabled();
    const { credential, clientId } = request.body;
    const signedIn = await signIn.run({
      proof: { kind: 'passkey', credential: credential as AuthenticationResponseJSON },
      plan: { kind: 'token', method: 'passkey', clientId },
      info: clientInfo(request),
    });
    return signedIn.handover.token;
  });

  app.post('/api/auth/mfa/webauthn/options', {
    schema: {
      tags: ['mfa'], summary: 'Request options of the passkeys of a sign-in waiting for its second step', body: MfaTokenBody,
      response: { 200: CeremonyOptions, ...errorResponses, ...problemResponses('invalid-token') },
    },
  }, async (request) => {
    requireEnabled();
    const pending = await factors.pending.find(request.body.mfaToken);
    if (!pending) throw new AppError('invalid-token', 'mfaToken: unknown, already used or expired; sign in again');
    return passkeys.requestOptions('second-step', pending.accountId);
  });
};
