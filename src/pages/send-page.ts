import type { FastifyReply } from 'fastify';
import { AppError } from '../http/errors.js';
import type { Lang } from './i18n.js';
import { html, sendHtmlPage, type SafeHtml } from './layout.js';

/** Sends a hosted page; why one helper: every page goes out framed the same, with the strict page headers. */
export function sendPage(reply: FastifyReply, lang: Lang, status: number, title: string, body: SafeHtml): FastifyReply {
  return sendHtmlPage(reply, status, title, body, lang);
}

/**
 * The page for an e-mailed link that did not work (unknown, expired, used); why: a person gets a 400 page with
 * the reason, while a server failure still reaches the error handler and its 5xx.
 */
export function sendLinkFailure(reply: FastifyReply, lang: Lang, error: unknown, title: string, message: string): FastifyReply {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  return sendPage(reply, lang, 400, title, html`<p class="error" role="alert">${message}</p>`);
}
