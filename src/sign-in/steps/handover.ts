import { provenAccount, type Handover, type SignInContext, type SignInDeps, type StartedSession, type Step } from '../attempt.js';

/**
 * Step 6: what the started session hands over — the OAuthToken, a registered client's access token, the cookie
 * credential. Writing it into the answer (JSON, `Set-Cookie`, redirect to the client) is sign-in/delivery.ts's,
 * once the pipeline returned, so the audit record is written before the answer leaves.
 */
export const prepareHandover: Step = async (deps, context) => {
  context.handover = await handoverOf(deps, context, startedSession(context));
};

async function handoverOf(deps: SignInDeps, context: SignInContext, session: StartedSession): Promise<Handover> {
  const { plan } = context.attempt;
  const account = provenAccount(context);
  switch (plan.kind) {
    case 'token': {
      const grant = { sessionId: session.id, refreshToken: session.refreshToken!, refreshExpiresAt: session.expiresAt, clientId: plan.clientId, scope: plan.scope, amr: context.amr };
      return { kind: 'token', token: await deps.issuer.oauthToken(account, grant) };
    }
    case 'client': {
      if (plan.interaction) {
        const interaction = { uid: plan.interaction, credential: session.credential, maxAgeSeconds: deps.config.cookie.maxAge };
        return { kind: 'client', client: plan.client, interaction };
      }
      const access = await deps.issuer.clientAccessToken(account, session.id, context.amr);
      const ttlSeconds = Math.floor(deps.config.tokens.accessTokenTtl / 1000);
      return { kind: 'client', client: plan.client, delivery: { token: access.token, accountId: account.id, ttlSeconds } };
    }
    case 'cookie': return { kind: 'cookie', credential: session.credential!, maxAgeSeconds: plan.maxAgeSeconds };
    case 'basic': return { kind: 'basic' };
  }
}

/** The session of a context past step 5. */
export function startedSession(context: SignInContext): StartedSession {
  if (!context.session) throw new Error('sign-in step ran before the session was started');
  return context.session;
}
