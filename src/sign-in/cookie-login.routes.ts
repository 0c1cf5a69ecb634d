import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ProfileCache } from '../accounts/profile-cache.js';
import type { Config } from '../config/index.js';
import { BASIC_CHALLENGE, clientInfo } from '../http/authenticate.js';
import { AppError, invalidField } from '../http/errors.js';
import { requireLoginCsrf, type LoginCsrfDeps } from '../pages/form-token.js';
import { CookieLoginBody, sessionErrors, UserInfo } from '../sessions/session.schemas.js';
import { userInfo } from '../sessions/user-info.js';
import type { SessionService } from '../sessions/session.service.js';
import type { SecondFactors } from '../mfa/second-factors.js';
import type { Handover, SignedIn } from './attempt.js';
import { answerOfForm, finishSecondStep, type SecondStepDeps } from './second-step.js';
import { renderCookieSecondStep } from './second-step-page.js';
import type { SecondStepForm, SecondStepState } from '../pages/second-step-form.js';
import { setSessionCookie } from './delivery.js';
import type { SignIn } from './pipeline.js';

const tags = ['sessions'];

/** A password sign-in that ends in the auth cookie, with the cookie's Max-Age in seconds (default `cookie.maxAge`). */
export type CookieSignIn = (request: FastifyRequest, reply: FastifyReply, login: string, password: string, maxAgeSeconds?: number) => Promise<SignedIn>;

/**
 * The password-to-cookie way in, for `POST /auth/cookie` and the account page's form. Why a function handed out:
 * accounts/ (the account page) sits below sign-in/, so the composition root passes this in rather than it importing up.
 * `secondStepPath`: the page whose second-step form finishes such a sign-in when it must first set up a factor
 * (sign-in/enrol-step.routes.ts posts "continue" there); the account page's when not given, the console's for its own.
 */
export function cookieSignIn(signIn: SignIn, config: Config, options: { secondStepPath?: string } = {}): CookieSignIn {
  return async (request, reply, login, password, maxAgeSeconds = config.cookie.maxAge) => {
    const plan = { kind: 'cookie', method: 'cookie', maxAgeSeconds, ...(options.secondStepPath ? { secondStepPath: options.secondStepPath } : {}) } as const;
    const signedIn = await signIn.run({ proof: { kind: 'password', login, password }, plan, info: clientInfo(request) });
    setSessionCookie(reply, config, signedIn);
    return signedIn;
  };
}

/** A cookie sign-in's second step: finish it (setting the cookie), or ask which methods a still-open one takes. */
export interface CookieSecondStep {
  /** Finishes it with a second-step form's post (a code, or a passkey's assertion as JSON text). */
  finish(request: FastifyRequest, reply: FastifyReply, answer: SecondStepForm): Promise<SignedIn>;
  /** The methods the parked sign-in of `mfaToken` can be answered with; null when it is no longer open. */
  methodsFor(mfaToken: string): Promise<string[] | null>;
  /** The second page, posting back to the account page. */
  render(request: FastifyRequest, reply: FastifyReply, status: number, state: SecondStepState): FastifyReply;
}

/**
 * The second step of a password-to-cookie sign-in, for the account page (accounts/ sits below sign-in/, so it is
 * handed this). Only cookie sign-ins are finished here: a token parked by `/api/auth/login` or a client's page is not.
 */
export function cookieSecondStep(deps: SecondStepDeps & { config: Config; loginCsrf: LoginCsrfDeps; factors: Pick<SecondFactors, 'pending' | 'methodsOf'> }): CookieSecondStep {
  return {
    render: (request, reply, status, state) => renderCookieSecondStep(request, reply, deps.loginCsrf, status, state),
    finish: async (request, reply, answer) => {
      const signedIn = await finishSecondStep(deps, answerOfForm(answer), clientInfo(request), (plan) => plan.kind === 'cookie');
      setSessionCookie(reply, deps.config, signedIn as SignedIn<Extract<Handover, { kind: 'cookie' }>>);
      return signedIn;
    },
    methodsFor: async (mfaToken) => {
      const pending = await deps.factors.pending.find(mfaToken);
      return pending ? deps.factors.methodsOf(pending.accountId) : null;
    },
  };
}

/** What the cookie and Basic ways in use: the pipeline, the login-CSRF rule, and who-is-calling for the answer. */
export interface CookieLoginRouteDeps {
  config: Config;
  signIn: SignIn;
  loginCsrf: LoginCsrfDeps;
  profiles: Pick<ProfileCache, 'get'>;
  sessions: Pick<SessionService, 'endOf'>;
}

/** The cookie and HTTP Basic ways in (seeds 001 and 004; CONTRACT §5): `POST /auth/cookie` and `GET /auth/basic`. */
export const cookieLoginRoutes: FastifyPluginAsync<CookieLoginRouteDeps> = async (fastify, { config, signIn, loginCsrf, profiles, sessions }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const signInWithCookie = cookieSignIn(signIn, config);
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.post('/auth/cookie', {
    // Login CSRF: a foreign page's form post must not log the visitor's browser into the attacker's account.
    preValidation: requireLoginCsrf(loginCsrf, () => {
      throw new AppError('forbidden', 'cross-site login refused: a form post from a foreign Origin needs the form token of one of our pages');
    }),
    schema: { tags, summary: 'Log in with a password; sets the auth cookie', body: CookieLoginBody, response: { 200: UserInfo, ...sessionErrors } },
  }, async (request, reply) => {
    const { auth_username: login, auth_password: password, auth_maxage: rawMaxAge = config.cookie.maxAge } = request.body;
    const maxAgeSeconds = Number(rawMaxAge);
    if (maxAgeSeconds > 31_536_000) throw invalidField('auth_maxage', 'must be at most 31536000 seconds');
    const signedIn = await signInWithCookie(request, reply, login, password, maxAgeSeconds);
    return userInfo(request, signedIn.account, signedIn.expiresAt);
  });

  // Seed 004: credentials travel only in a POST body, never in a URL that ends up in logs.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/auth/cookie',
    schema: { hide: true },
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new AppError('method-not-allowed', 'use POST /auth/cookie with a form body');
    },
  });

  // The Basic credential itself is checked by the credential resolver (sign-in/credentials.ts) before any route.
  app.get('/auth/basic', { schema: { tags, summary: 'HTTP Basic challenge (with httpBasic.enabled)', response: { 200: UserInfo, ...sessionErrors } } }, async (request, reply) => {
    if (!config.httpBasic.enabled) throw new AppError('not-found', 'HTTP Basic is disabled');
    if (request.auth?.kind !== 'basic') {
      reply.header('www-authenticate', BASIC_CHALLENGE);
      throw new AppError('unauthorized', 'HTTP Basic credentials required');
    }
    return userInfo(request, await profiles.get(request.auth.accountId), await sessions.endOf(request.auth.sessionId));
  });
};
