import { Type, type Static } from 'typebox';
import type { AuthContext } from '../http/authenticate.js';
import type { AccountService } from '../accounts/account.service.js';
import type { Config } from '../config/index.js';
import { amrOf, type SessionService } from '../sessions/session.service.js';
import type { AccessTokens } from '../tokens/access-tokens.js';

/** Seed 003's UserContext as `GET /api/auth/context` answers it (CONTRACT §5). */
export const UserContext = Type.Object(
  {
    id: Type.String({ description: 'The account id' }),
    clientId: Type.Optional(Type.String({ description: 'The client the session was started for, if any' })),
    authorization: Type.Object({
      type: Type.Literal('Bearer'),
      accessToken: Type.String({ description: 'Internal access JWT of the same session, valid gateway.internalTokenTtl' }),
      expiresAt: Type.String({ format: 'date-time' }),
    }),
    user: Type.Object({
      id: Type.String(),
      username: Type.String(),
      email: Type.Union([Type.String(), Type.Null()]),
      type: Type.String(),
      roles: Type.Array(Type.String()),
      groups: Type.Array(Type.String()),
      permissions: Type.Array(Type.String(), { description: 'Effective permissions: own, groups’ and roles’' }),
    }),
    data: Type.Object({
      sessionId: Type.String(),
      scope: Type.Union([Type.String(), Type.Null()]),
      amr: Type.Optional(Type.Array(Type.String(), { description: 'How the session was authenticated (RFC 8176: pwd, otp, hwk, mfa, fed)' })),
    }),
  },
  { $id: 'UserContext', description: "Seed 003's UserContext, for API gateways" },
);
export type UserContext = Static<typeof UserContext>;

/** What a UserContext is built from: the account, its session, and the signer of the internal token. */
export interface UserContextDeps {
  config: Config;
  accounts: Pick<AccountService, 'principal' | 'view'>;
  sessions: Pick<SessionService, 'find'>;
  accessTokens: Pick<AccessTokens, 'issue'>;
}

/** Builds the UserContext of an authenticated caller, minting the internal JWT (split token). */
export async function userContext(deps: UserContextDeps, auth: AuthContext): Promise<UserContext> {
  const { accounts, sessions, accessTokens, config } = deps;
  const [principal, view, session] = await Promise.all([
    accounts.principal(auth.accountId, auth.sessionId),
    accounts.view(auth.accountId),
    sessions.find(auth.sessionId),
  ]);
  const amr = amrOf(session?.amr ?? null);
  const internal = await accessTokens.issue(
    { accountId: auth.accountId, email: view.email, roles: principal.roles, sessionId: auth.sessionId, amr },
    config.gateway.internalTokenTtl,
  );
  const context: UserContext = {
    id: auth.accountId,
    authorization: { type: 'Bearer', accessToken: internal.token, expiresAt: new Date(internal.expiresAt).toISOString() },
    user: {
      id: view.id,
      username: view.username,
      email: view.email,
      type: view.type,
      roles: principal.roles,
      groups: view.groups,
      permissions: principal.permissions,
    },
    data: { sessionId: auth.sessionId, scope: session?.scope ?? null },
  };
  if (amr) context.data.amr = amr;
  if (session?.client_id) context.clientId = session.client_id;
  return context;
}
