import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/errors.js';
import { toProblem, type Problem } from '../http/problem.js';
import { LOCAL_TIME_SCRIPT } from '../pages/assets.routes.js';
import { prefersHtml } from '../pages/error-page.js';
import { sessionFormToken } from '../pages/form-token.js';
import { pickLanguage, type Lang } from '../pages/i18n.js';
import { html, sendHtmlPage, type SafeHtml } from '../pages/layout.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { ADMIN_STYLE_PATH } from './admin-style.js';
import { CSRF_FIELD, SignInNeeded, type ConsoleCaller } from './console-access.js';

/** Where the console starts, signs in and out. */
export const CONSOLE_PATH = '/admin';
export const SIGN_IN_PATH = '/admin/sign-in';
export const SIGN_OUT_PATH = '/admin/sign-out';

/** A console page: its title and body, for whom, and which navigation entry it belongs to. */
export interface AdminPage {
  status?: number;
  title: string;
  body: SafeHtml;
  lang: Lang;
  /** The signed-in caller; without one the page has no navigation (sign-in) or a short one (error pages). */
  caller?: ConsoleCaller;
  /** The path of the navigation entry to mark as the current page. */
  current?: string;
  /** The second step of a sign-in may offer a passkey: its script and the fetch of its options. */
  passkeys?: boolean;
  /** A signed-in caller who may not use the console still gets a way to sign out: its session's form token. */
  signOutToken?: string;
}

/**
 * Sends a console page: the hosted pages' frame (layout.ts) with the console's navigation, both style sheets as files
 * and a CSP that admits no inline style or script; the local-time script rewrites `<time data-local>` in the
 * browser's zone. Why the hosted frame: one look, one branding, one set of security headers for every page a person sees.
 */
export function sendAdminPage(reply: FastifyReply, page: AdminPage): FastifyReply {
  const body = html`${page.body}<script src="${LOCAL_TIME_SCRIPT}" defer></script>`;
  return sendHtmlPage(reply, page.status ?? 200, page.title, body, page.lang, {
    styleFiles: [ADMIN_STYLE_PATH],
    nav: navigation(page),
    scripts: true,
    passkeys: page.passkeys,
  });
}

/** A hidden field with the console's form token, for every form that changes something. */
export function csrfField(caller: ConsoleCaller): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${caller.csrf}">`;
}

/**
 * A table cell that names its column on a phone, where each row is a card (admin-style.ts `table.stack`). Why the
 * wrapper: the cell is a two-column grid there, and its content must be one grid item beside the label.
 */
export function labelledCell(label: string, content: unknown): SafeHtml {
  return html`<td data-label="${label}"><div>${content}</div></td>`;
}

function navigation(page: AdminPage): SafeHtml | undefined {
  const { caller, lang } = page;
  const token = caller?.csrf ?? page.signOutToken;
  if (!token) return undefined;
  const link = (path: string, label: AdminMessageKey) =>
    html`<li><a href="${path}"${page.current === path ? html` aria-current="page"` : ''}>${at(lang, label)}</a></li>`;
  const sections = caller ? caller.sections.map((section) => link(section.path, section.label)) : [];
  return html`<nav class="console" aria-label="${at(lang, 'nav.label')}"><ul>${caller ? link(CONSOLE_PATH, 'nav.home') : ''}${sections}${link('/account', 'nav.ownAccount')}</ul>
<form method="post" action="${SIGN_OUT_PATH}"><input type="hidden" name="${CSRF_FIELD}" value="${token}"><button type="submit" class="secondary">${at(lang, 'nav.signOut')}</button></form></nav>
`;
}

/**
 * The console's route-level error handler. A page opened without a session goes to the sign-in; a browser (prefersHtml)
 * gets a console page for a 4xx saying what was refused and why — the permission missing, the rank, a foreign origin —
 * with the way back; every other caller, and every 5xx, goes on to the one global handler and its problem+json.
 */
export function adminPageErrors(serverKey: string) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof SignInNeeded) return reply.redirect(SIGN_IN_PATH, 303);
    if (!prefersHtml(request)) throw error;
    const { problem, headers, internal } = toProblem(error);
    if (internal || problem.status >= 500) throw error;
    const lang = pickLanguage(request.headers['accept-language']);
    const auth = request.auth?.kind === 'cookie' ? request.auth : null;
    const [title, message] = explain(lang, problem, error);
    const accountId = (request.params as { id?: unknown } | undefined)?.id;
    const back = typeof accountId === 'string' && problem.code !== 'not-found' && /^[0-9a-f-]{36}$/i.test(accountId)
      ? html`<a href="/admin/accounts/${accountId}">${at(lang, 'error.backToAccount')}</a>`
      : auth ? html`<a href="${CONSOLE_PATH}">${at(lang, 'error.back')}</a>` : html`<a href="${SIGN_IN_PATH}">${at(lang, 'error.signIn')}</a>`;
    const body = html`<p class="error" role="alert">${message}</p><p>${back}</p>`;
    return sendAdminPage(reply.headers(headers), {
      status: problem.status, title: at(lang, title), body, lang, signOutToken: auth ? sessionFormToken(serverKey, auth.sessionId) : undefined,
    });
  };
}

/** The title and message of a refused request, by its code and (for `forbidden`) by what refused it. */
function explain(lang: Lang, problem: Problem, error: unknown): [AdminMessageKey, string] {
  const detail = problem.detail;
  switch (problem.code) {
    case 'forbidden': return ['error.title.forbidden', forbiddenMessage(lang, detail)];
    case 'not-found': return ['error.title.notFound', at(lang, 'error.notFound')];
    case 'conflict': return ['error.title.conflict', /last sysadmin|sysadmin group must keep/.test(detail) ? at(lang, 'error.lastSysadmin') : at(lang, 'error.conflict', { detail })];
    case 'invalid-request': return ['error.title.invalid', at(lang, 'error.invalid', { fields: [...new Set((problem.errors ?? []).map((e) => e.field))].join(', ') || detail })];
    case 'unauthorized': return ['error.title.unauthorized', at(lang, 'error.unauthorized')];
    case 'rate-limited': return ['error.title.rateLimited', at(lang, 'error.rateLimited')];
    default: return ['error.title.other', at(lang, 'error.other', { detail: error instanceof AppError ? error.message : problem.title })];
  }
}

function forbiddenMessage(lang: Lang, detail: string): string {
  const permission = /^requires permission (\S+)/.exec(detail)?.[1];
  if (permission) return at(lang, 'error.permission', { permission });
  if (/^the admin console needs one of/.test(detail)) return at(lang, 'error.console');
  if (/every role and permission/.test(detail)) return at(lang, 'error.rank');
  if (/^cross-site request refused/.test(detail)) return at(lang, 'error.crossSite');
  if (/^form token/.test(detail)) return at(lang, 'error.formToken');
  return at(lang, 'error.forbidden');
}
