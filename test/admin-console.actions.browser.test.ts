/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './helpers/chromium.js';
import { enrolTotp, type EnrolledUser } from './helpers/mfa.js';
import { dialects, goodPassword } from './helpers/server.js';
import { accountIdOf, auditEvents, expectAccessible, launchChromium, liveSessions, openPage, signIn, startConsoleServer, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * One account's page and its actions (issue 19 item 2) in Debian's Chromium, on SQLite and PostgreSQL: an admin (the
 * role) reads the profile, groups, permissions, sessions with their devices, factors and events, then confirms, ends
 * one session, ends all, resets the second factors and deletes — each behind its confirmation where it cannot be
 * undone, each audited with the admin as actor, each with the effect the JSON API's call has.
 */

const CHROME_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe.each(dialects)('admin console: one account and its actions (%s, Debian chromium)', (dialect) => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let open: ConsolePage;
  /** An account with an authenticator app, in the group `readers`, with a session from Chrome on Windows. */
  let mia: EnrolledUser;
  let chromeSession: { accessToken: string };

  beforeAll(async () => {
    cast = await startConsoleServer(dialect);
    mia = await enrolTotp(cast.server, 'mia');
    expect((await cast.server.request('PUT', `/groups/${cast.readersId}/accounts/${mia.userId}`, { token: cast.sysToken })).status).toBe(204);
    const step = await cast.server.request('POST', '/api/auth/login', { json: { email: mia.email, password: goodPassword }, headers: { 'user-agent': CHROME_ON_WINDOWS } });
    const verified = await cast.server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: step.body.mfaToken, method: 'recovery', code: mia.recoveryCodes[0] }, headers: { 'user-agent': CHROME_ON_WINDOWS } });
    expect(verified.status, verified.text).toBe(200);
    chromeSession = verified.body;
    chromium = await launchChromium();
    open = await openPage(chromium);
    await signIn(open.page, cast.server, cast.carol.email);
  });
  afterAll(async () => {
    await open?.context.close();
    await chromium?.close();
    await cast?.server.close();
  });
  const url = (path: string) => `${cast.server.url}${path}`;
  const accountPage = async (id: string) => {
    await open.page.goto(url(`/admin/accounts/${id}`));
    await open.page.locator('#profile').waitFor();
  };
  const status = () => open.page.getByRole('status').textContent();

  it('shows the profile, groups, permissions, sessions by device, factors and the latest events', async () => {
    const { page } = open;
    await accountPage(mia.userId);
    expect(await page.locator('h1').textContent()).toBe(mia.email);
    const access = await page.locator('section[aria-labelledby="access"]').textContent();
    expect(access).toContain('readers');
    expect(access).toContain('accounts:read');
    const sessions = page.locator('section[aria-labelledby="sessions"]');
    expect(await sessions.textContent()).toContain('Chrome 131 on Windows');
    expect(await sessions.getByRole('button', { name: 'End the session on Chrome 131 on Windows' }).count()).toBe(1);
    const factors = await page.locator('section[aria-labelledby="factors"] dl').textContent();
    expect(factors).toContain('Authenticator appyes');
    expect(factors).toContain('Recovery codes left9');
    const events = await page.locator('section[aria-labelledby="events"]').textContent();
    expect(events).toContain('mfa.enrolled');
    expect(events).toContain('login.succeeded');
    await screenshot(page, `admin-account-${dialect}`);
    await expectAccessible(open);
  });

  it('confirms an unconfirmed account: the button goes, the API agrees, the event names the admin', async () => {
    const { page } = open;
    const registered = await cast.server.request('POST', '/api/auth/register', { json: { email: `unconfirmed-${dialect}@example.com`, password: goodPassword } });
    expect(registered.status, registered.text).toBe(201);
    const id = registered.body.id as string;
    await accountPage(id);
    expect(await page.locator('section[aria-labelledby="profile"] dl').textContent()).toContain('Confirmedno');
    await page.getByRole('button', { name: 'Confirm the e-mail address' }).click();
    await page.waitForURL(url(`/admin/accounts/${id}?done=confirmed`));
    expect(await status()).toBe('The e-mail address is confirmed.');
    expect(await page.getByRole('button', { name: 'Confirm the e-mail address' }).count()).toBe(0);
    expect((await cast.server.request('GET', `/accounts/${id}`, { token: cast.sysToken })).body.confirmed).toBe(true);
    expect(await auditEvents(cast.server, 'account.updated', id)).toEqual([{ by: cast.carol.userId, fields: ['confirmed'] }]);
  });

  it('ends one session: its token stops working at once, the others live on', async () => {
    const { page } = open;
    const before = await liveSessions(cast.server, mia.userId);
    expect((await cast.server.request('GET', '/api/auth/account', { token: chromeSession.accessToken })).status).toBe(200);
    await accountPage(mia.userId);
    await page.getByRole('button', { name: 'End the session on Chrome 131 on Windows' }).click();
    await page.waitForURL(url(`/admin/accounts/${mia.userId}?done=session-ended`));
    expect(await status()).toBe('The session was ended.');
    expect(await page.locator('section[aria-labelledby="sessions"]').textContent()).not.toContain('Chrome 131');
    expect(await liveSessions(cast.server, mia.userId)).toBe(before - 1);
    expect((await cast.server.request('GET', '/api/auth/account', { token: chromeSession.accessToken })).status).toBe(401);
    expect((await auditEvents(cast.server, 'session.revoked', mia.userId)).at(-1)).toEqual({ by: cast.carol.userId });
  });

  it('ends all sessions only after a confirmation page, which Cancel leaves without a change', async () => {
    const { page } = open;
    const before = await liveSessions(cast.server, mia.userId);
    expect(before).toBeGreaterThan(0);
    await accountPage(mia.userId);
    await page.getByRole('link', { name: 'End all sessions…' }).click();
    await page.waitForURL(url(`/admin/accounts/${mia.userId}/end-sessions`));
    expect(await page.locator('h1').textContent()).toBe(`End all sessions of ${mia.email}?`);
    expect(await page.locator('main p').first().textContent()).toContain(`${before} sessions end at once`);
    await expectAccessible(open);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(url(`/admin/accounts/${mia.userId}`));
    expect(await liveSessions(cast.server, mia.userId)).toBe(before);
    await page.getByRole('link', { name: 'End all sessions…' }).click();
    await page.getByRole('button', { name: 'End all sessions' }).click();
    await page.waitForURL(url(`/admin/accounts/${mia.userId}?done=sessions-ended`));
    expect(await status()).toBe('Every session was ended.');
    expect(await liveSessions(cast.server, mia.userId)).toBe(0);
    expect(await page.locator('section[aria-labelledby="sessions"]').textContent()).toContain('No live session.');
    const revoked = await auditEvents(cast.server, 'session.revoked', mia.userId);
    expect(revoked.slice(-before)).toEqual(Array(before).fill({ by: cast.carol.userId }));
  });

  it('resets the second factors after a confirmation page: the owner is mailed, a password alone signs in again', async () => {
    const { page } = open;
    await accountPage(mia.userId);
    await page.getByRole('link', { name: 'Reset the second factors…' }).click();
    await page.waitForURL(url(`/admin/accounts/${mia.userId}/reset-mfa`));
    expect(await page.locator('h1').textContent()).toBe(`Reset the second factors of ${mia.email}?`);
    await expectAccessible(open);
    const mailsBefore = cast.server.smtp.messages.length;
    await page.getByRole('button', { name: 'Remove every second factor' }).click();
    await page.waitForURL(url(`/admin/accounts/${mia.userId}?done=mfa-reset`));
    expect(await status()).toBe('Every second factor was removed, and the owner was e-mailed.');
    expect(await page.locator('section[aria-labelledby="factors"] dl').textContent()).toContain('Authenticator appno');
    expect(await page.getByRole('link', { name: 'Reset the second factors…' }).count()).toBe(0);
    await cast.server.smtp.waitFor((m) => m.to.includes(mia.email) && m.subject.includes('two-step sign-in was reset'));
    expect(cast.server.smtp.messages.length).toBe(mailsBefore + 1);
    expect(await auditEvents(cast.server, 'mfa.reset', mia.userId)).toEqual([{ by: cast.carol.userId }]);
    const login = await cast.server.request('POST', '/api/auth/login', { json: { email: mia.email, password: goodPassword } });
    expect(login.status, login.text).toBe(200);
  });

  it('deletes only with the account’s e-mail typed: a wrong word deletes nothing, the right one deletes it', async () => {
    const { page } = open;
    const email = `doomed-${dialect}@example.com`;
    await cast.server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } });
    const id = (await accountIdOf(cast.server, email))!;
    await accountPage(id);
    await page.getByRole('link', { name: 'Delete this account…' }).click();
    await page.waitForURL(url(`/admin/accounts/${id}/delete`));
    expect(await page.locator('h1').textContent()).toBe(`Delete ${email}?`);
    await expectAccessible(open);
    await page.getByLabel(`Type ${email} to confirm`).fill('someone-else@example.com');
    const refused = page.waitForResponse((r) => r.url() === url(`/admin/accounts/${id}/delete`) && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Delete the account for good' }).click();
    expect((await refused).status()).toBe(400);
    expect(await page.locator('#confirmation-error').textContent()).toBe(`That is not ${email}. Nothing was deleted.`);
    expect(await page.locator('#confirmation').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(open);
    expect(await accountIdOf(cast.server, email)).toBe(id);
    await page.locator('#confirmation').fill(email.toUpperCase());
    await page.getByRole('button', { name: 'Delete the account for good' }).click();
    await page.waitForURL(url('/admin/accounts?done=deleted'));
    expect(await status()).toBe('The account was deleted.');
    expect(await accountIdOf(cast.server, email)).toBeNull();
    expect(await auditEvents(cast.server, 'account.deleted', id)).toEqual([{ by: cast.carol.userId }]);
    const gone = await page.goto(url(`/admin/accounts/${id}`));
    expect(gone?.status()).toBe(404);
    expect(await page.getByRole('alert').textContent()).toBe('There is no such account (any more).');
  });

  it('signs the admin out when it ends its own current session from its own page', async () => {
    const own = await openPage(chromium);
    try {
      await signIn(own.page, cast.server, cast.carol.email);
      const mine = await cast.server.app.services.sessions.listLive(cast.carol.userId);
      await own.page.goto(url(`/admin/accounts/${cast.carol.userId}`));
      expect(await own.page.locator('section[aria-labelledby="sessions"]').textContent()).toContain('this browser');
      // Its own account shows no delete button: that takes step-up, on the account page.
      expect(await own.page.getByRole('link', { name: 'Delete this account…' }).count()).toBe(0);
      const current = own.page.locator('tr', { hasText: 'this browser' }).getByRole('button');
      await current.click();
      await own.page.waitForURL(url('/admin/sign-in'));
      expect((await cast.server.app.services.sessions.listLive(cast.carol.userId)).length).toBe(mine.length - 1);
    } finally {
      await own.context.close();
    }
  });
});
