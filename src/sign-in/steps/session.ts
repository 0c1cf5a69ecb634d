import { setLastLogin } from '../../accounts/account.repository.js';
import { transaction } from '../../db/prepared.js';
import { AppError } from '../../http/errors.js';
import { sessionTtlMs } from '../../sessions/cookies.js';
import type { LoginMethod } from '../../sessions/session.service.js';
import { provenAccount, type SessionPlan, type SignInContext, type SignInDeps, type StartedSession, type Step } from '../attempt.js';

/** Step 5: starts the session the plan asks for and notes the login time on the account. */
export const startSession: Step = async (deps, context) => {
  const { plan } = context.attempt;
  context.session = plan.kind === 'token' ? await startTokenSession(deps, context, plan) : await startOtherSession(deps, context, plan);
};

/** The session, its refresh token and the last-login time commit together: one commit (one fsync on PostgreSQL). */
async function startTokenSession(deps: SignInDeps, context: SignInContext, plan: Extract<SessionPlan, { kind: 'token' }>): Promise<StartedSession> {
  const account = provenAccount(context);
  const { tokens } = deps.config;
  const ttl = account.type === 'guest' || plan.method === 'guest' ? tokens.guestRefreshTokenTtl : tokens.refreshTokenTtl;
  const now = deps.clock.now();
  return transaction(deps.db, async (trx) => {
    const session = await deps.sessions.create({
      accountId: account.id, method: plan.method, clientId: plan.clientId ?? null, scope: plan.scope ?? null,
      expiresAt: ttl === null ? null : now + ttl, amr: context.amr, ...context.attempt.info,
    }, trx);
    await setLastLogin(trx, account.id, now);
    const refreshToken = await deps.refreshTokens.issue(session.id, session.expires_at, trx);
    return { id: session.id, expiresAt: session.expires_at, method: plan.method, refreshToken };
  });
}

/** A client's, a cookie's or HTTP Basic's session — or, for a step-up, the browser's session raised. */
async function startOtherSession(deps: SignInDeps, context: SignInContext, plan: Exclude<SessionPlan, { kind: 'token' }>): Promise<StartedSession> {
  if (plan.kind === 'client' && plan.stepUp) return raiseSession(deps, context, plan.stepUp);
  const account = provenAccount(context);
  const { method, ttl } = lifetime(deps, plan);
  const input = { accountId: account.id, method, clientId: plan.kind === 'client' ? plan.client.clientID : null, scope: null, expiresAt: deps.clock.now() + ttl, amr: context.amr, ...context.attempt.info };
  let started: StartedSession;
  if (plan.kind === 'cookie' || (plan.kind === 'client' && plan.interaction)) {
    const { session, credential } = await deps.sessions.createWithSecret(input);
    started = { id: session.id, expiresAt: session.expires_at, method, credential };
  } else {
    const session = await deps.sessions.create(input);
    started = { id: session.id, expiresAt: session.expires_at, method };
  }
  await setLastLogin(deps.db, account.id, deps.clock.now());
  return started;
}

/**
 * A step-up (oidc-provider/acr.ts): the second factor raises the browser's Gatehouse session, as Keycloak raises its
 * session's level — so the apps already signed in with it (grants bound to it, oidc-provider/adapter.ts) and a later
 * logout still hold together. Its `amr` gains the factor; its id, cookie and sign-in time (`auth_time`) stay.
 */
async function raiseSession(deps: SignInDeps, context: SignInContext, sessionId: string): Promise<StartedSession> {
  const account = provenAccount(context);
  const current = await deps.sessions.find(sessionId);
  const amr = [...new Set([...(current?.amr?.split(' ') ?? []), ...(context.amr ?? [])])];
  const raised = current?.account_id === account.id ? await deps.sessions.raise(sessionId, account.id, amr) : undefined;
  if (!raised) throw new AppError('invalid-token', 'mfaToken: the session it was to raise is over; sign in again');
  context.amr = amr;
  return { id: raised.id, expiresAt: raised.expires_at === null ? null : Number(raised.expires_at), method: raised.method as LoginMethod, raised: true };
}

/** Seed 000: a client's session lasts as long as its access token; a cookie's (and Basic's, and an interaction's) as the cookie's Max-Age. */
function lifetime({ config }: SignInDeps, plan: Exclude<SessionPlan, { kind: 'token' }>): { method: LoginMethod; ttl: number } {
  // An OpenID interaction's sign-in is the browser's Gatehouse session (single sign-on): it lives as a cookie's does.
  // Its method is the way in's own (a provider login's, a passkey's); else `password`.
  if (plan.kind === 'client' && plan.interaction) return { method: plan.method ?? 'password', ttl: sessionTtlMs(config.cookie.maxAge) };
  if (plan.kind === 'client') return { method: plan.method ?? 'password', ttl: config.tokens.accessTokenTtl };
  if (plan.kind === 'cookie') return { method: plan.method, ttl: sessionTtlMs(plan.maxAgeSeconds) };
  return { method: 'basic', ttl: sessionTtlMs(config.cookie.maxAge) };
}
