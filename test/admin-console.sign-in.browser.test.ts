/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './helpers/chromium.js';
import { enrolTotp, oathtool, STEP } from './helpers/mfa.js';
import { goodPassword } from './helpers/server.js';
import { BOOTSTRAP_PASSWORD, expectAccessible, launchChromium, openPage, signIn, startConsoleServer, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * The admin console's door (issue 19 item 1) in Debian's Chromium: no session goes to the console's sign-in, which is
 * the cookie sign-in of the account page (second factor included) landing on /admin; only an account holding a console
 * permission gets in, in English or German; every page passes axe-core with its real CSP.
 */
describe('admin console: sign-in and the gate (Debian chromium)', () => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let open: ConsolePage | undefined;

  beforeAll(async () => {
    cast = await startConsoleServer('sqlite');
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await open?.context.close();
    await chromium?.close();
    await cast?.server.close();
  });
  const fresh = async (options: Parameters<Browser['newContext']>[0] = {}) => {
    await open?.context.close();
    open = await openPage(chromium, options);
    return open;
  };
  const url = (path: string) => `${cast.server.url}${path}`;

  it('sends a browser without a session from /admin to the sign-in, which passes axe', async () => {
    const { page } = await fresh();
    const answer = await page.goto(url('/admin/accounts'));
    expect(page.url()).toBe(url('/admin/sign-in'));
    expect(answer?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Sign in to the admin console');
    // The console's CSP admits no inline style or script.
    const csp = (await answer!.allHeaders())['content-security-policy']!;
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await expectAccessible(open!);
  });

  it('signs the sysadmin in: the overview greets it and its navigation leads to the accounts', async () => {
    const { page } = await fresh();
    await signIn(page, cast.server, 'admin', BOOTSTRAP_PASSWORD);
    expect(page.url()).toBe(url('/admin'));
    expect(await page.locator('main').textContent()).toContain('Signed in as admin@localhost');
    const nav = page.getByRole('navigation', { name: 'Admin console' });
    expect(await nav.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    await screenshot(page, 'admin-home');
    await expectAccessible(open!);
    await nav.getByRole('link', { name: 'Accounts' }).click();
    await page.waitForURL(url('/admin/accounts'));
    expect(await page.locator('h1').textContent()).toBe('Accounts');
  });

  it('keeps the person on the sign-in with the reason after a wrong password, and counts it like any sign-in', async () => {
    const { page } = await fresh();
    await signIn(page, cast.server, 'admin', 'not-the-password');
    expect(page.url()).toBe(url('/admin/sign-in'));
    expect(await page.getByRole('alert').textContent()).toContain('Wrong e-mail or password.');
    const db = cast.server.app.services.database.db;
    const failed = await db.selectFrom('audit_events').select('id').where('type', '=', 'login.failed').where('login_name', '=', 'admin').execute();
    expect(failed.length).toBeGreaterThan(0);
    await expectAccessible(open!);
  });

  it('refuses a signed-in account without a console permission with a 403 page that offers to sign out', async () => {
    const { page } = await fresh();
    await signIn(page, cast.server, cast.alice.email);
    expect(page.url()).toBe(url('/admin'));
    expect(await page.locator('h1').textContent()).toBe('Not allowed');
    expect(await page.getByRole('alert').textContent()).toContain('holds no permission the admin console needs');
    const direct = await page.goto(url('/admin/accounts'));
    expect(direct?.status()).toBe(403);
    const account = await page.goto(url(`/admin/accounts/${cast.carol.userId}`));
    expect(account?.status()).toBe(403);
    expect(await page.locator('main').textContent()).not.toContain(cast.carol.email);
    await screenshot(page, 'admin-forbidden');
    await expectAccessible(open!);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(url('/admin/sign-in'));
    expect((await open!.context.cookies()).find((c) => c.name === cast.server.config.cookie.name)).toBeUndefined();
  });

  it('lets in an account that holds only accounts:read through a group, with only what that opens', async () => {
    const { page } = await fresh();
    await signIn(page, cast.server, cast.reader.email);
    expect(page.url()).toBe(url('/admin'));
    await page.goto(url(`/admin/accounts/${cast.alice.userId}`));
    expect(await page.locator('h1').textContent()).toBe(cast.alice.email);
    // No sessions (sessions:read), no events (audit:read), no buttons (accounts:write, accounts:delete, sessions:delete).
    expect(await page.locator('#sessions').count()).toBe(0);
    expect(await page.locator('#events').count()).toBe(0);
    expect(await page.locator('main form').count()).toBe(0);
    expect(await page.locator('main a.button').count()).toBe(0);
    const confirmPage = await page.goto(url(`/admin/accounts/${cast.alice.userId}/delete`));
    expect(confirmPage?.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('accounts:delete');
  });

  it('asks an administrator with an authenticator app for its code before the console opens', async () => {
    const admin = await enrolTotp(cast.server, 'console-admin');
    expect((await cast.server.request('PUT', `/groups/admin/accounts/${admin.userId}`, { token: cast.sysToken })).status).toBe(204);
    const { page } = await fresh();
    await signIn(page, cast.server, admin.email);
    await page.locator('#totp-code').waitFor();
    expect(page.url()).toBe(url('/admin/sign-in'));
    await expectAccessible(open!);
    await page.locator('#totp-code').fill('000000');
    await page.locator('#totp-code').press('Enter');
    expect(await page.getByRole('alert').textContent()).toContain('That code is wrong');
    cast.server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(admin.secret, cast.server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await page.waitForURL(url('/admin'));
    expect(await page.locator('main').textContent()).toContain(`Signed in as ${admin.email}`);
  });

  it('speaks German to a German browser, and signing out ends the session', async () => {
    const { page, context } = await fresh({ locale: 'de-DE' });
    await signIn(page, cast.server, cast.carol.email, goodPassword);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('h1').textContent()).toBe('Administration');
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Konten' }).click();
    await page.waitForURL(url('/admin/accounts'));
    expect(await page.locator('h1').textContent()).toBe('Konten');
    await expectAccessible(open!);
    const sessionsBefore = await cast.server.app.services.sessions.listLive(cast.carol.userId);
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await page.waitForURL(url('/admin/sign-in'));
    expect(await page.locator('h1').textContent()).toBe('Anmeldung zur Administration');
    expect((await cast.server.app.services.sessions.listLive(cast.carol.userId)).length).toBe(sessionsBefore.length - 1);
    expect((await context.cookies()).find((c) => c.name === cast.server.config.cookie.name)).toBeUndefined();
    await page.goto(url('/admin'));
    expect(page.url()).toBe(url('/admin/sign-in'));
  });
});
