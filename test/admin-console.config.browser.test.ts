/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword } from './helpers/server.js';
import { BOOTSTRAP_PASSWORD, closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * The effective configuration in the console (issue 19) in Debian's Chromium, on SQLite and PostgreSQL: every setting
 * `gatehouse config check` prints, with the same secrets masked — none of the configured secrets appears anywhere in
 * the page — read-only, and refused without system:config.
 */
const SECRETS = {
  hmac: 'hmac-secret-that-must-never-show-'.padEnd(64, 'x'),
  confirmation: 'confirmation-key-never-shown-0123456789',
  google: 'google-secret-never-shown',
};

describe.each(dialects)('admin console: effective configuration (%s, Debian chromium)', (dialect) => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let sys: ConsolePage;

  beforeAll(async () => {
    ({ cast, chromium, sys } = await openSysadminConsole(dialect, {
      config: {
        tokens: { hmacSecret: SECRETS.hmac },
        signup: { confirmationKey: SECRETS.confirmation },
        providers: { google: { clientId: 'gid.apps.example', clientSecret: SECRETS.google } },
      },
    }, 'cfg'));
  });
  afterAll(async () => closeConsole({ cast, chromium, sys }));
  const url = (path: string) => `${cast.server.url}${path}`;
  const valueOf = (setting: string) => sys.page.locator('tr', { has: sys.page.locator('th code', { hasText: new RegExp(`^${setting.replace(/[.[\]]/g, '\\$&')}$`) }) }).locator('td').textContent();

  it('shows every setting by its path, with the secrets masked as gatehouse config check masks them', async () => {
    const { page } = sys;
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Configuration' }).click();
    await page.waitForURL(url('/admin/config'));
    expect(await page.locator('h1').textContent()).toBe('Effective configuration');
    const config = cast.server.app.services.config;
    expect(await valueOf('server.baseUrl')).toBe(config.server.baseUrl);
    expect(await valueOf('tokens.algorithm')).toBe('RS512');
    expect(await valueOf('tokens.accessTokenTtl')).toBe(String(config.tokens.accessTokenTtl));
    expect(await valueOf('tokens.hmacSecret')).toBe('******');
    expect(await valueOf('signup.confirmationKey')).toBe('******');
    expect(await valueOf('admin.initialPassword')).toBe('******');
    expect(await valueOf('providers.google.clientSecret')).toBe('******');
    expect(await valueOf('providers.google.clientId')).toBe('gid.apps.example');
    const text = await page.content();
    for (const secret of [...Object.values(SECRETS), BOOTSTRAP_PASSWORD]) expect(text).not.toContain(secret);
    // Read-only: no form but the sign-out.
    expect(await page.locator('main form').count()).toBe(0);
    await expectAccessible(sys);
  });

  it('refuses an account without system:config', async () => {
    const carol = await openPage(chromium);
    try {
      await signIn(carol.page, cast.server, cast.carol.email, goodPassword);
      expect(await carol.page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Configuration' }).count()).toBe(0);
      const refused = await carol.page.goto(url('/admin/config'));
      expect(refused?.status()).toBe(403);
      expect(await carol.page.getByRole('alert').textContent()).toBe('This needs the permission system:config, which your account does not hold.');
      expect(await carol.page.content()).not.toContain('tokens.algorithm');
      await expectAccessible(carol);
    } finally {
      await carol.context.close();
    }
  });
});
