/// <reference lib="dom" />
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { uniqueEmail } from './helpers/mfa.js';
import { freePort } from './helpers/ports.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { auditEvents } from './helpers/webauthn.js';
import { pageWithAuthenticator } from './helpers/webauthn-browser.js';

/**
 * A passkey as step-up proof on the account page (CONTRACT §5), in Debian's Chromium with its virtual authenticator:
 * a person adds a passkey, then confirms new recovery codes and the passkey's removal with "Confirm with a passkey" —
 * the page's script (pages/passkey-script.ts, CSP script-src 'self') fetches the step-up options and posts the
 * assertion. A prompt the authenticator declines posts nothing. The tests run in order.
 */
describe('"Confirm with a passkey" on the account page (Debian chromium, virtual authenticator)', () => {
  let server: TestServer;
  let base: string;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let user: { email: string; userId: string };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer('sqlite', { port, config: { server: { baseUrl: base } } });
    const email = uniqueEmail('step-up-browser');
    user = { email, userId: (await registerAndLogin(server, email)).userId };
    chromium = await launchChromium();
    context = await chromium.newContext({ locale: 'en-US' });
    ({ page, cdp, authenticatorId } = await pageWithAuthenticator(context));
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
  });

  const passkeysOfUser = () => server.app.services.database.db.selectFrom('passkeys').selectAll().where('account_id', '=', user.userId).execute();
  const newCodes = () => page.locator('#new-codes-passkey');

  it('after a passkey is added, the step-up forms offer "Confirm with a passkey" (no inline script; CSP script-src \'self\')', async () => {
    await page.goto(`${base}/account`);
    await page.locator('#login').fill(user.email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#recovery-codes').waitFor();
    await page.getByRole('link', { name: 'Back to your account' }).click();
    const loaded = await page.goto(`${base}/account`);
    const csp = loaded!.headers()['content-security-policy']!;
    expect(csp).toMatch(/script-src 'self'; connect-src 'self'/);
    expect(/script-src ([^;]*)/.exec(csp)![1]).toBe("'self'");
    expect(await page.locator('script:not([src])').count()).toBe(0);
    await newCodes().getByRole('button', { name: 'Confirm with a passkey' }).waitFor();
    expect(await page.locator('form[data-passkey="step-up"]').count()).toBe(2);
    await screenshot(page, 'account-step-up-passkey');
  });

  it('a declined prompt (no user verification) says so on the page and posts nothing', async () => {
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    try {
      const lastUsed = (await passkeysOfUser())[0]!.last_used_at;
      await newCodes().getByRole('button', { name: 'Confirm with a passkey' }).click();
      await expect.poll(() => newCodes().locator('[data-passkey-error]').textContent()).toContain('The passkey was not used.');
      expect(page.url()).toBe(`${base}/account`);
      expect((await passkeysOfUser())[0]!.last_used_at).toBe(lastUsed);
    } finally {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    }
  });

  it('"New recovery codes" → "Confirm with a passkey": ten new codes; the ceremony was a step-up one', async () => {
    const before = await server.app.services.database.db.selectFrom('mfa_recovery_codes').select('code_hash').where('account_id', '=', user.userId).execute();
    const options = page.waitForResponse((response) => response.url().endsWith('/api/auth/passkeys/step-up/options'));
    await newCodes().getByRole('button', { name: 'Confirm with a passkey' }).click();
    expect((await options).status()).toBe(200);
    await page.locator('#recovery-codes').waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    const after = await server.app.services.database.db.selectFrom('mfa_recovery_codes').select('code_hash').where('account_id', '=', user.userId).execute();
    expect(after.map((row) => row.code_hash)).not.toEqual(before.map((row) => row.code_hash));
    expect((await passkeysOfUser())[0]!.last_used_at).not.toBeNull();
    expect(await auditEvents(server, user.userId, 'mfa.passkey-refused')).toEqual([]);
  });

  it('"Remove this passkey" → "Confirm with a passkey": the passkey confirms its own removal', async () => {
    await page.getByRole('link', { name: 'Back to your account' }).click();
    const row = page.locator('#passkey-list tbody tr');
    await row.locator('summary', { hasText: 'Remove this passkey' }).click();
    await row.getByRole('button', { name: 'Confirm with a passkey' }).click();
    expect(await page.getByRole('status').textContent()).toContain('The passkey was removed.');
    expect(await passkeysOfUser()).toHaveLength(0);
    await page.getByRole('link', { name: 'Back to your account' }).click();
    expect(await page.locator('form[data-passkey="step-up"]').count()).toBe(0);
  });
});
