import { expect } from 'vitest';
import type { TestServer } from './server.js';
import type { CapturedMail } from './smtp.js';

/**
 * The first mail captured since `since` (an index into the capture) to `to` whose subject contains `subject`.
 * The SMTP envelope may lower-case the domain; mailboxes compare case-insensitively.
 */
export function mailTo(server: TestServer, to: string, subject: string, since: number): Promise<CapturedMail> {
  return server.smtp.waitFor((m) => server.smtp.messages.indexOf(m) >= since && m.to.some((t) => t.toLowerCase() === to.toLowerCase()) && m.subject.includes(subject));
}

/**
 * Asks for an e-mail change from `from` to `to` with `token`; answers the paths of both e-mailed links: the change
 * (sent to the new address) and the revert (the notice to the old one).
 */
export async function requestEmailChange(server: TestServer, token: string, from: string, to: string): Promise<{ change: string; revert: string }> {
  const since = server.smtp.messages.length;
  const answer = await server.request('POST', '/auth/change-email', { token, json: { email: to } });
  expect(answer.status, answer.text).toBe(202);
  expect(answer.body).toEqual({ pendingEmail: to });
  const change = new URL(server.smtp.linkIn(await mailTo(server, to, 'Confirm your new', since), '/auth/change-email/')).pathname;
  const revert = new URL(server.smtp.linkIn(await mailTo(server, from, 'is being changed', since), '/auth/change-email/')).pathname;
  expect(change).not.toBe(revert);
  return { change, revert };
}
