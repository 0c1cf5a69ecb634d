/** Subject plus both bodies: HTML for mail clients, plain text for everything else (and for tests). */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

const PRODUCT = 'Gatehouse';

/** Escapes the five HTML-significant characters, so user-controlled names cannot inject markup into mails. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Renders a TTL for humans ("30 minutes", "24 hours", "3 days"), so mails state the configured
 * `password.resetTokenTtl` instead of a hard-coded promise. A single day reads as "24 hours",
 * which is how people think about short deadlines; odd values fall back to whole minutes.
 */
export function formatDurationText(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0 minutes';
  if (ms % DAY === 0 && ms >= 2 * DAY) return plural(ms / DAY, 'day');
  if (ms % HOUR === 0) return plural(ms / HOUR, 'hour');
  if (ms >= MINUTE) return plural(Math.round(ms / MINUTE), 'minute');
  return plural(Math.max(1, Math.round(ms / SECOND)), 'second');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Mail to a new account: the link confirms the address (CONTRACT §3 Confirmation). */
export function confirmationMail(p: { baseUrl: string; token: string; username: string }): MailContent {
  const link = actionLink(p.baseUrl, '/auth/confirm/', p.token);
  return render({
    subject: `Confirm your ${PRODUCT} account`,
    greeting: p.username,
    lead: `please confirm your e-mail address by opening this link:`,
    link,
    after: [`If you did not create a ${PRODUCT} account, you can ignore this e-mail.`],
  });
}

/** Mail after "forgot password": the single-use link leads to the hosted reset form (CONTRACT §5). */
export function passwordResetMail(p: { baseUrl: string; token: string; username: string; ttlText: string }): MailContent {
  const link = actionLink(p.baseUrl, '/auth/password-reset/', p.token);
  return render({
    subject: `Reset your ${PRODUCT} password`,
    greeting: p.username,
    lead: `someone asked to reset your password. To choose a new one, open this link:`,
    link,
    after: [
      `The link works once and expires in ${p.ttlText}.`,
      `If you did not ask for this, ignore this e-mail; your password stays as it is.`,
    ],
  });
}

/** Mail to the NEW address: proves the user owns it before the change takes effect. */
export function emailChangeMail(p: { baseUrl: string; token: string; newEmail: string }): MailContent {
  const link = actionLink(p.baseUrl, '/auth/change-email/', p.token);
  return render({
    subject: `Confirm your new ${PRODUCT} e-mail address`,
    greeting: null,
    lead: `to make ${p.newEmail} the e-mail address of your ${PRODUCT} account, open this link:`,
    link,
    after: [`If you did not ask for this, ignore this e-mail; nothing changes.`],
  });
}

/** Notice to the OLD address: lets the real owner undo a hijack; the link reverts and ends every session. */
export function emailChangeNoticeMail(p: { baseUrl: string; revertToken: string; newEmail: string }): MailContent {
  const link = actionLink(p.baseUrl, '/auth/change-email/', p.revertToken);
  return render({
    subject: `Your ${PRODUCT} e-mail address is being changed`,
    greeting: null,
    lead:
      `a change of your ${PRODUCT} account's e-mail address to ${p.newEmail} was requested. ` +
      `If this was not you, open this link to keep this address and sign out everywhere:`,
    link,
    after: [`If it was you, there is nothing to do.`],
  });
}

/** Tells an account's owner that an administrator removed every second factor (CONTRACT §5 `DELETE /accounts/{id}/mfa`). */
export function mfaResetMail(p: { baseUrl: string; username: string }): MailContent {
  return render({
    subject: `Your ${PRODUCT} two-step sign-in was reset`,
    greeting: p.username,
    lead: `an administrator removed every second factor of your ${PRODUCT} account (authenticator app, recovery codes, passkeys). ` +
      `Signing in now needs only your password. To set up a second step again, open your account:`,
    link: `${p.baseUrl.replace(/\/+$/, '')}/account`,
    after: [`If you did not ask for this, tell your administrator and change your password.`],
  });
}

/** Joins base URL and token; tolerates a trailing slash in `server.baseUrl`. */
function actionLink(baseUrl: string, pathPrefix: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${pathPrefix}${encodeURIComponent(token)}`;
}

interface MailParts {
  subject: string;
  greeting: string | null;
  lead: string;
  link: string;
  after: string[];
}

/** One layout for every mail: the link always sits alone on its line so humans and tests can find it. */
function render(m: MailParts): MailContent {
  const hello = m.greeting === null ? 'Hello,' : `Hello ${m.greeting},`;
  const text = [
    oneLine(hello),
    '',
    oneLine(upperFirst(m.lead)),
    '',
    m.link,
    '',
    ...m.after.map(oneLine),
    '',
    `— ${PRODUCT}`,
    '',
  ].join('\n');
  const href = escapeHtml(m.link);
  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p>${escapeHtml(hello)}</p>`,
    `<p>${escapeHtml(upperFirst(m.lead))}</p>`,
    `<p><a href="${href}">${href}</a></p>`,
    ...m.after.map((line) => `<p>${escapeHtml(line)}</p>`),
    `<p>— ${PRODUCT}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { subject: m.subject, text, html };
}

/** Control characters (CR/LF above all) in a username could forge a fake link line in the text body. */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function upperFirst(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
