import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import { findAccountById } from '../accounts/account.repository.js';
import type { AccountService } from '../accounts/account.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import type { Mailer } from '../email/mailer.js';
import { mfaResetMail } from '../email/templates.js';
import { requireAuth } from '../http/authenticate.js';
import { AppError } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import type { Principal } from '../permissions/principal.js';
import { assertMayManage } from '../permissions/rank.js';
import type { SecondFactors } from './second-factors.js';

const AccountParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** What the administrators' reset uses. */
export interface MfaAdminRouteDeps {
  config: Config;
  db: Kysely<DB>;
  accounts: Pick<AccountService, 'principal' | 'requirePermission'>;
  factors: Pick<SecondFactors, 'removeAll'>;
  audit: AuditLog;
  mailer: Mailer;
}

/**
 * `DELETE /accounts/{id}/mfa` (CONTRACT §5): an administrator with `accounts:write`, at or above the account's rank
 * (§3), removes every second factor of an account whose owner lost them. Audited, and the owner is mailed, so a reset
 * nobody asked for does not go unnoticed. One's own factors are removed this way too only with the permission: a
 * person turns their own off with step-up instead.
 */
export const mfaAdminRoutes: FastifyPluginAsync<MfaAdminRouteDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.delete('/accounts/:id/mfa', {
    schema: { tags: ['accounts'], summary: 'Remove every second factor of an account (accounts:write, rank); mails the owner', params: AccountParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    const actor = await deps.accounts.principal(auth.accountId, auth.sessionId);
    await resetSecondFactors(deps, actor, request.params.id, request.log);
    return reply.code(204).send(null);
  });
};

/**
 * The reset itself, every check included: the route above and the admin console (admin-console/) call this one
 * function, so the console can do exactly what an API caller can and no more.
 */
export async function resetSecondFactors(deps: MfaAdminRouteDeps, actor: Principal, accountId: string, log: FastifyBaseLogger): Promise<void> {
  deps.accounts.requirePermission(actor, 'accounts:write');
  const account = await findAccountById(deps.db, accountId);
  if (!account) throw new AppError('not-found', 'account not found');
  await assertMayManage(deps.accounts, actor, account.id);
  await deps.factors.removeAll(account.id);
  await deps.audit.record('mfa.reset', { accountId: account.id, data: { by: actor.accountId } });
  if (account.email) {
    const mail = mfaResetMail({ baseUrl: deps.config.server.baseUrl, username: account.username });
    await deps.mailer.send({ to: account.email, ...mail }).catch((error) => log.error({ err: error }, 'MFA reset mail failed'));
  }
}
