import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { Type, type Static } from 'typebox';
import type { Config } from '../config/index.js';
import { clientInfo } from '../http/authenticate.js';
import { AppError, invalidField } from '../http/errors.js';
import { requireLoginCsrf, type LoginCsrfDeps } from '../pages/form-token.js';
import { errorResponses, OAuthToken, problemResponses } from '../http/schemas.js';
import { VerifyBody } from '../mfa/mfa.schemas.js';
import { UserInfo } from '../sessions/session.schemas.js';
import { userInfo } from '../sessions/user-info.js';
import type { Handover, SignedIn } from './attempt.js';
import { sendToClient, setSessionCookie } from './delivery.js';
import { finishSecondStep, type SecondStepAnswer, type SecondStepDeps } from './second-step.js';

/** What the second step uses: the pipeline, the pending sign-ins, and the clients a continuation names. */
export interface MfaVerifyRouteDeps extends SecondStepDeps {
  config: Config;
  loginCsrf: LoginCsrfDeps;
}

/**
 * `POST /api/auth/mfa/verify` (CONTRACT §5 "Second step"): redeems the `mfaToken` of a `401 mfa-required` with a code
 * and finishes the login the way it started — an OAuthToken for `/api/auth/login`, the auth cookie for
 * `/auth/cookie`, the client's delivery for a hosted login. It runs the same pipeline: lockout, audit and session alike.
 */
export const mfaVerifyRoutes: FastifyPluginAsync<MfaVerifyRouteDeps> = async (fastify, { config, db, signIn, factors, loginCsrf }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/api/auth/mfa/verify', {
    // Login CSRF: it may set the auth cookie, so a foreign page's form post must not finish the attacker's sign-in here.
    preValidation: requireLoginCsrf(loginCsrf, () => {
      throw new AppError('forbidden', 'cross-site sign-in refused: post JSON, or the form token of one of our pages');
    }),
    schema: {
      tags: ['mfa'], summary: 'Finish a login that answered mfa-required, with a TOTP or recovery code or a passkey', body: VerifyBody,
      response: { 200: Type.Union([OAuthToken, UserInfo]), ...errorResponses, ...problemResponses('invalid-token', 'invalid-mfa-code', 'account-locked') },
    },
  }, async (request, reply) => {
    return deliver(await finishSecondStep({ db, signIn, factors }, answerOf(request.body), clientInfo(request)));

    function deliver(done: SignedIn) {
      const { handover } = done;
      if (handover.kind === 'token') return handover.token;
      if (handover.kind === 'cookie') {
        setSessionCookie(reply, config, done as SignedIn<Extract<Handover, { kind: 'cookie' }>>);
        return userInfo(request, done.account, done.expiresAt);
      }
      if (handover.kind === 'client') return sendToClient(request, reply, config, done as SignedIn<Extract<Handover, { kind: 'client' }>>);
      throw new Error('HTTP Basic has no second step');
    }
  });
};

/** The body as one answer: a code for `totp` and `recovery`, an assertion (`credential`) for `webauthn`. */
function answerOf({ mfaToken, method, code, credential }: Static<typeof VerifyBody>): SecondStepAnswer {
  if (method === 'webauthn') {
    if (credential === undefined) throw invalidField('credential', 'is required for method webauthn: the answer of navigator.credentials.get');
    return { mfaToken, method, credential: credential as AuthenticationResponseJSON };
  }
  if (code === undefined) throw invalidField('code', `is required for method ${method}`);
  return { mfaToken, method, code };
}
