import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../clients/client.repository.js';
import type { Config } from '../config/index.js';
import { issueFormToken, type LoginCsrfDeps } from '../pages/form-token.js';
import { pickLanguage, t } from '../pages/i18n.js';
import { offersPasskey, secondStepForm, type EnrolOptions, type SecondStepState } from '../pages/second-step-form.js';
import { sendHtmlPage } from '../pages/layout.js';
import { clientFormOrigins, hostedQuery } from './hosted-client.js';

/** Where the hosted login's second page posts its code. */
export const SECOND_STEP_PATH = '/auth/login/mfa';
/** Where the second page of a sign-in that ends in the auth cookie posts (the account page's route, which finishes it). */
const COOKIE_SECOND_STEP_PATH = '/account/login/mfa';

/**
 * The hosted login's second page (CONTRACT §5), for a client and the OpenID interaction it signs in for, if any: its
 * form posts to SECOND_STEP_PATH. Why the interaction is given, not read from the request: a provider login shows
 * this page at its callback, whose query is the identity provider's.
 */
export function renderSecondStep(
  request: FastifyRequest, reply: FastifyReply, loginCsrf: LoginCsrfDeps, client: Client, interaction: string | undefined, status: number, shown: SecondStepState,
): FastifyReply {
  const lang = pickLanguage(request.headers['accept-language']);
  const state = withEnrolOptions(loginCsrf.config, shown);
  const formToken = issueFormToken(request, reply, loginCsrf);
  const query = hostedQuery(client, interaction);
  const body = secondStepForm(lang, `${SECOND_STEP_PATH}?${query}`, formToken, state, `/auth/login?${query}`);
  return sendHtmlPage(reply, status, t(lang, 'mfa.title'), body, lang, { ...clientFormOrigins(client), passkeys: offersPasskey(state) });
}

/**
 * The second page of a sign-in that ends in the auth cookie (the account page's, a provider login without a client):
 * its form posts to the account page, which sets the cookie and shows the account.
 */
export function renderCookieSecondStep(request: FastifyRequest, reply: FastifyReply, loginCsrf: LoginCsrfDeps, status: number, shown: SecondStepState): FastifyReply {
  const lang = pickLanguage(request.headers['accept-language']);
  const state = withEnrolOptions(loginCsrf.config, shown);
  const body = secondStepForm(lang, COOKIE_SECOND_STEP_PATH, issueFormToken(request, reply, loginCsrf), state, '/account');
  return sendHtmlPage(reply, status, t(lang, 'mfa.title'), body, lang, { passkeys: offersPasskey(state) });
}

/** What a sign-in that must enrol may set up on the hosted pages: the factors this server has on. */
export function enrolOptionsOf(config: Config): EnrolOptions {
  return { totp: config.mfa.totp.enabled, passkey: config.mfa.webauthn.enabled };
}

function withEnrolOptions(config: Config, state: SecondStepState): SecondStepState {
  return state.enrol ? { ...state, enrolWith: enrolOptionsOf(config) } : state;
}
