import { errorCodes, type ErrorCode } from '../http/errors.js';
import { html, type SafeHtml } from '../pages/layout.js';

/**
 * What a client should do on each error code, shown at `/docs/errors#<code>` — the `type` of every problem+json
 * answer. Why a record over ErrorCode: a code added to the registry without advice fails the type check.
 */
const advice = {
  'invalid-request': 'The request does not match the endpoint\'s schema. `errors` lists each field with what is wrong; fix those fields and send again. Nothing was stored.',
  'password-policy': 'The password breaks one or more rules of `password.policy`; `errors` lists every unmet rule at once. Ask the person for another password.',
  'invalid-credentials': 'The login name or password is wrong (the answer is the same for an unknown account). Let the person try again; repeated failures lock the login name for a while.',
  'access-token-expired': 'The access token is past its `exp`. Get a new one with `POST /api/auth/refresh` and the refresh token, then repeat the request.',
  'refresh-token-expired': 'The refresh token is past its lifetime. The person has to sign in again.',
  'refresh-token-reused': 'A refresh token was presented after it had been rotated, which looks like theft: its whole session was ended. The person has to sign in again; keep only the newest refresh token.',
  'invalid-token': 'The token is malformed, signed by an unknown key or for another issuer, or its one-time use is spent. Do not retry with the same token; sign in again or ask for a new link.',
  'token-revoked': 'The session behind this credential was ended (logout, password change, an administrator). Sign in again.',
  unauthorized: 'This endpoint needs a caller: send `Authorization: Bearer <access token>`, the session cookie, or (where enabled) HTTP Basic.',
  'mfa-required': 'The password was right, and the account has a second factor (or must set one up). The answer carries `mfaToken` and `methods`: send `POST /api/auth/mfa/verify` with the token and a code, recovery code or passkey to finish the login.',
  'invalid-mfa-code': 'The second-factor code is wrong, was already used (a code counts once), or is too old. Ask for the current code; wrong codes count toward the account\'s lockout.',
  'account-not-confirmed': 'The account\'s e-mail address is not confirmed yet. The person should open the link in the confirmation e-mail; the hosted login page offers to send a new one.',
  forbidden: 'The caller is known but may not do this: a permission is missing, the target outranks the caller, or a cookie-authenticated change came from another site. Do not retry as is.',
  'login-method-disabled': 'This way of logging in is turned off for the server or for this client (`disableStrategies`, `passwordLogin`). Use another method the login page offers.',
  'signup-disabled': 'Registration is closed on this server, or needs an invite. Ask an administrator for an invite link.',
  'not-found': 'Nothing exists at this URL, or it is not yours to see (someone else\'s session answers the same as a missing one). Check the id; do not retry.',
  'method-not-allowed': 'The URL exists but not with this HTTP method. See `/docs` for the methods it accepts.',
  'request-timeout': 'The request did not arrive completely in time. Send it again on a new connection.',
  conflict: 'The change collides with existing data, such as an e-mail address or username already in use, or a name taken by another group or client. Choose another value.',
  'payload-too-large': 'The body is larger than the server accepts (64 KiB). Send less.',
  'unsupported-media-type': 'The body\'s Content-Type is not one this endpoint reads. Send `application/json` (or a form where the endpoint is a hosted page).',
  'account-locked': 'Too many failed logins for this login name: it is locked for a while. Wait for the number of seconds in `Retry-After`, then try again.',
  'headers-too-large': 'The request headers are too large (often too many or too large cookies). Clear stale cookies and send again.',
  'rate-limited': 'Too many requests of this kind from this address. Wait for the number of seconds in `Retry-After` before sending again.',
  'internal-error': 'The server failed. Nothing about the cause is exposed; the server\'s log has it. Retry later, and report it if it persists.',
  unavailable: 'The server cannot serve this right now (a database or provider it needs is unreachable, or it is shutting down). Retry after a short wait, ideally on another node.',
  overloaded: 'Every password-hashing slot is busy and the queue is full. Retry after the number of seconds in `Retry-After`.',
} as const satisfies Record<ErrorCode, string>;

/** The body of `/docs/errors`: one section per registry code, with its anchor, status, title and advice. */
export function errorDocsBody(): SafeHtml {
  const codes = Object.keys(errorCodes) as ErrorCode[];
  const index = codes.map((code) => html`<li><a href="#${code}"><code>${code}</code></a></li>`);
  const sections = codes.map((code) => html`<section id="${code}">
<h2><code>${code}</code></h2>
<p>HTTP ${String(errorCodes[code].status)} · ${errorCodes[code].title}</p>
<p>${withCode(advice[code])}</p>
</section>`);
  return html`<p>Every error answer is <code>application/problem+json</code> (RFC 9457): <code>{type, title, status, detail, code}</code>.
Its <code>type</code> links to the section of its <code>code</code> below; <code>detail</code> says what happened in this case.
A 401 also carries the code in the <code>x-error-code</code> header.</p>
<ul>${index}</ul>
${sections}
<p><a href="/docs">API reference</a> · <a href="/">Entry point</a></p>`;
}

/** Renders the `backticked` parts of an advice text as code. */
function withCode(text: string): SafeHtml[] {
  return text.split('`').map((part, index) => (index % 2 === 1 ? html`<code>${part}</code>` : html`${part}`));
}
