import type { AccountAdminService } from '../accounts/account-admin.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/index.js';
import { AppError } from '../http/errors.js';
import type { SecondFactors } from '../mfa/second-factors.js';
import { outranksOrEquals } from '../permissions/rank.js';
import type { AccountDetail } from './account-detail.view.js';
import { may, type ConsoleAccessDeps, type ConsoleCaller } from './console-access.js';
import type { Principal } from '../permissions/principal.js';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';

/** The `{id}` of an account's console paths. */
export const AccountParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** How many of an account's latest events its page shows; the audit log section pages through all of them. */
const RECENT_EVENTS = 20;

/** Removes every second factor of an account, with every check of `DELETE /accounts/{id}/mfa` (mfa/mfa-admin.routes.ts). */
export type ResetMfa = (actor: Principal, accountId: string, log: FastifyBaseLogger) => Promise<void>;

/** What one account's pages use: the same services as `/accounts/{id}`, `/accounts/{id}/tokens`, `/accounts/{id}/mfa` and `/audit`. */
export interface AccountDetailDeps extends ConsoleAccessDeps {
  config: Config;
  accountAdmin: Pick<AccountAdminService, 'read' | 'sessionsOf' | 'endSession' | 'update' | 'delete'>;
  factors: Pick<SecondFactors, 'summary'>;
  audit: Pick<AuditLog, 'search'>;
  resetMfa: ResetMfa;
}

/**
 * The page's parts, each read through the API's service with the caller as actor. Sessions and events are left out
 * (null) without their permission rather than refusing the whole page.
 */
export async function loadDetail(deps: AccountDetailDeps, caller: ConsoleCaller, accountId: string): Promise<AccountDetail> {
  const { actor } = caller;
  const view = await deps.accountAdmin.read(actor, accountId);
  const own = accountId === caller.accountId;
  const [target, sessions, factors, events] = await Promise.all([
    deps.accounts.principal(accountId, ''),
    own || may(caller, 'sessions:read') ? deps.accountAdmin.sessionsOf(actor, accountId) : null,
    deps.factors.summary(accountId),
    may(caller, 'audit:read') ? deps.audit.search({ accountId }, { offset: 0, limit: RECENT_EVENTS }).then((found) => found.rows) : null,
  ]);
  const outranked = !own && !outranksOrEquals(actor, target);
  const allowed = (permission: string) => !outranked && (own || may(caller, permission));
  return {
    view, effective: target.permissions, sessions, factors, events, outranked,
    can: {
      // Confirming is administration even on one's own account (AccountAdminService.update).
      confirm: !outranked && may(caller, 'accounts:write'),
      endSessions: allowed('sessions:delete'),
      resetMfa: !outranked && may(caller, 'accounts:write'),
      // One's own account is deleted from one's account page, with step-up when it has a second factor.
      delete: !own && allowed('accounts:delete'),
    },
  };
}

/**
 * Why a confirmation page is not offered, in the words the action's service would refuse it with: the rank first (it
 * refuses whatever the permission), then the permission the action needs.
 */
export function refuse(caller: ConsoleCaller, detail: AccountDetail, permission: string): never {
  if (detail.outranked) throw new AppError('forbidden', 'acting on this account requires holding every role and permission it holds');
  if (!may(caller, permission)) throw new AppError('forbidden', `requires permission ${permission}`);
  throw new AppError('forbidden', 'not from the admin console: one\'s own account is deleted from the account page');
}
