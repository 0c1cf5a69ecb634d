import type { FastifyRequest } from 'fastify';
import { AppError } from '../http/errors.js';
import { pickLanguage, type Lang } from '../pages/i18n.js';
import { sessionFormToken } from '../pages/form-token.js';
import type { Principal, PrincipalSource } from '../permissions/principal.js';
import { isPermitted } from '../permissions/wildcard.js';
import { safeEqual } from '../util/hashing.js';
import type { AdminMessageKey } from './admin-messages.js';

/** One part of the console: where it lives and the permission that opens it (CONTRACT §3's admin permissions). */
export interface ConsoleSection {
  path: string;
  permission: string;
  label: AdminMessageKey;
  summary: AdminMessageKey;
}

/**
 * The console's sections. Why the gate is "holds one of these permissions" and not a role: the JSON API checks
 * permissions, never roles, so an account given `accounts:read` through a group can do in the console exactly what
 * it can do with curl. Later sections (groups, clients, invites, audit log, keys, configuration) join this list with
 * their own permission and so widen the gate only as far as they reach.
 */
export const SECTIONS: readonly ConsoleSection[] = [
  { path: '/admin/accounts', permission: 'accounts:read', label: 'nav.accounts', summary: 'home.accounts' },
  { path: '/admin/groups', permission: 'groups:read', label: 'nav.groups', summary: 'home.groups' },
  { path: '/admin/audit', permission: 'audit:read', label: 'nav.audit', summary: 'home.audit' },
  { path: '/admin/clients', permission: 'clients:read', label: 'nav.clients', summary: 'home.clients' },
  // The JSON API has no key administration; CONTRACT §3 names system:config for the system's administration.
  { path: '/admin/keys', permission: 'system:config', label: 'nav.keys', summary: 'home.keys' },
  { path: '/admin/config', permission: 'system:config', label: 'nav.config', summary: 'home.config' },
  // GET /accounts?type=apikey's permission; creating and revoking need accounts:create-anonymous and accounts:delete.
  { path: '/admin/api-keys', permission: 'accounts:read', label: 'nav.apiKeys', summary: 'home.apiKeys' },
  { path: '/admin/invites', permission: 'invites:read', label: 'nav.invites', summary: 'home.invites' },
];

/** Who is using the console: the cookie session, the actor as every JSON route builds it, its page language. */
export interface ConsoleCaller {
  accountId: string;
  sessionId: string;
  actor: Principal;
  lang: Lang;
  /** The token every form of the console carries: an HMAC of the session (pages/form-token.ts sessionFormToken). */
  csrf: string;
  /** The sections the actor may open. */
  sections: readonly ConsoleSection[];
}

/** Thrown when a console page is opened without a cookie session; the console's error handler turns it into a redirect. */
export class SignInNeeded extends Error {
  constructor() {
    super('the admin console needs a cookie session');
  }
}

/** What the gate needs: the actor's permissions (AccountService) and the key the forms' tokens derive from. */
export interface ConsoleAccessDeps {
  accounts: PrincipalSource;
  serverKey: string;
}

/**
 * The caller of a console page or action, refused unless it may use the console at all. A browser without a cookie
 * session is sent to sign in on GET and refused on POST (a form posted after the session ended, or by a foreign page
 * whose post carried no cookie). Bearer and Basic callers are not the console's: they have the JSON API.
 */
export async function consoleCaller(request: FastifyRequest, deps: ConsoleAccessDeps): Promise<ConsoleCaller> {
  const auth = request.auth?.kind === 'cookie' ? request.auth : null;
  if (!auth) {
    if (request.method === 'GET' || request.method === 'HEAD') throw new SignInNeeded();
    throw new AppError('unauthorized', 'the admin console needs a cookie session; sign in again');
  }
  const actor = await deps.accounts.principal(auth.accountId, auth.sessionId);
  const sections = SECTIONS.filter((section) => isPermitted(actor.permissions, section.permission));
  if (!sections.length) throw new AppError('forbidden', `the admin console needs one of the permissions ${SECTIONS.map((s) => s.permission).join(', ')}`);
  const csrf = sessionFormToken(deps.serverKey, auth.sessionId);
  return { accountId: auth.accountId, sessionId: auth.sessionId, actor, lang: pickLanguage(request.headers['accept-language']), csrf, sections };
}

/** Whether the caller holds `permission`: what decides which buttons a page shows (the services decide what is done). */
export function may(caller: ConsoleCaller, permission: string): boolean {
  return isPermitted(caller.actor.permissions, permission);
}

/** The form field every console form posts its token in. */
export const CSRF_FIELD = 'csrf';

/**
 * A `preValidation` hook for the console's form posts: the body must carry the session's form token, which is then
 * taken out so the route's schema never sees it. Why on top of the same-origin check every cookie post passes
 * (http/csrf.ts): defence in depth — a foreign page can neither read the token nor compute it without the server key.
 */
export function requireConsoleFormToken(serverKey: string) {
  return async (request: FastifyRequest) => {
    const auth = request.auth?.kind === 'cookie' ? request.auth : null;
    if (!auth) throw new AppError('unauthorized', 'the admin console needs a cookie session; sign in again');
    const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
    const sent = body[CSRF_FIELD];
    delete body[CSRF_FIELD];
    if (typeof sent !== 'string' || !safeEqual(sent, sessionFormToken(serverKey, auth.sessionId))) {
      throw new AppError('forbidden', 'form token missing or wrong');
    }
  };
}
