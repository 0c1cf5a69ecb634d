import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem, type Problem } from '../http/problem.js';
import { pickLanguage, t, type Lang, type MessageKey } from './i18n.js';
import { html } from './layout.js';
import { sendPage } from './send-page.js';

/** Media types an API caller names when it wants problem+json. */
const JSON_TYPES = new Set(['application/json', 'application/problem+json']);

/**
 * Whether the caller asks for a page: its `Accept` names `text/html` (or `text/*`) at least as high as any JSON type.
 * Browsers send `text/html,…,*\/*;q=0.8` on a navigation; curl sends `*\/*` and API clients `application/json`, so they
 * keep problem+json. Malformed entries are skipped, as browsers and proxies send all sorts.
 */
export function prefersHtml(request: FastifyRequest): boolean {
  let htmlQ = 0;
  let jsonQ = 0;
  for (const part of String(request.headers.accept ?? '').slice(0, 1024).split(',').slice(0, 50)) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const q = qualityOf(params);
    if (range === 'text/html' || range === 'text/*') htmlQ = Math.max(htmlQ, q);
    else if (JSON_TYPES.has(range)) jsonQ = Math.max(jsonQ, q);
  }
  return htmlQ > 0 && htmlQ >= jsonQ;
}

function qualityOf(params: string[]): number {
  for (const param of params) {
    const match = /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/.exec(param);
    if (match) return Math.min(1, Number(match[1]));
  }
  return 1;
}

type Explanation = 'clientMissing' | 'clientUnknown' | 'methodDisabled' | 'rateLimited' | 'invalid' | 'signInOver' | 'other';

/** Title, message and what to do, per explanation; typed so every key exists in both languages. */
const texts: Record<Explanation, [title: MessageKey, message: MessageKey, next: MessageKey]> = {
  clientMissing: ['problem.clientMissing.title', 'problem.clientMissing', 'problem.clientMissing.next'],
  clientUnknown: ['problem.clientUnknown.title', 'problem.clientUnknown', 'problem.clientUnknown.next'],
  methodDisabled: ['problem.methodDisabled.title', 'problem.methodDisabled', 'problem.methodDisabled.next'],
  rateLimited: ['problem.rateLimited.title', 'problem.rateLimited', 'problem.rateLimited.next'],
  invalid: ['problem.invalid.title', 'problem.invalid', 'problem.invalid.next'],
  signInOver: ['problem.signInOver.title', 'problem.signInOver', 'problem.signInOver.next'],
  other: ['problem.other.title', 'problem.other', 'problem.other.next'],
};

/** Which explanation fits a problem of a hosted route; the clientID of a client page comes first, as it decides the page. */
function explain(problem: Problem): Explanation {
  const client = problem.errors?.find((error) => error.field === 'clientID');
  if (client) return client.message === 'is required' ? 'clientMissing' : 'clientUnknown';
  // An OpenID sign-in (interaction) that is over: a person who waited too long needs to know to start again.
  if (problem.code === 'not-found' && problem.errors?.some((error) => error.field === 'uid')) return 'signInOver';
  switch (problem.code) {
    case 'login-method-disabled': return 'methodDisabled';
    case 'rate-limited':
    case 'account-locked': return 'rateLimited';
    case 'invalid-request': return 'invalid';
    default: return 'other';
  }
}

/**
 * The answer of a hosted route that failed before it could draw its own page: an HTML page in the page's language
 * saying what is wrong and what to do, with the problem's status and headers (`Retry-After`, `x-error-code`).
 */
export function sendProblemPage(request: FastifyRequest, reply: FastifyReply, problem: Problem, headers: Record<string, string>): FastifyReply {
  const lang: Lang = pickLanguage(request.headers['accept-language']);
  const [title, message, next] = texts[explain(problem)];
  const query = (request.query ?? {}) as Record<string, unknown>;
  const params = {
    clientID: typeof query.clientID === 'string' ? query.clientID.slice(0, 128) : '',
    fields: (problem.errors ?? []).map((error) => error.field).join(', ') || problem.detail,
    title: problem.title,
  };
  return sendPage(reply.headers(headers), lang, problem.status, t(lang, title), html`<p class="error" role="alert">${t(lang, message, params)}</p>
<p>${t(lang, next)}</p>`);
}

/**
 * A route-level `errorHandler` for hosted pages (issue 16: a browser never sees raw JSON). A person (prefersHtml)
 * gets sendProblemPage for a 4xx; everyone else, and every 5xx, goes on to the one global handler by rethrowing, so
 * API callers keep exactly the problem+json they always had. Why per route: only routes a person opens in a browser
 * take it, and the global handler's JSON stays untouched.
 */
export function hostedPageErrors(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!prefersHtml(request)) throw error;
  const { problem, headers, internal } = toProblem(error);
  if (internal || problem.status >= 500) throw error;
  return sendProblemPage(request, reply, problem, headers);
}
