/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { screenshotDir } from './helpers/chromium.js';
import { addOidcClient } from './helpers/oidc-clients.js';
import { goodPassword, registerAndLogin } from './helpers/server.js';
import { BOOTSTRAP_PASSWORD, launchChromium, openPage, signIn, startConsoleServer, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * The admin console's pages in three looks — light (desktop, English), a narrow phone (375 px) and German — as the
 * README and docs/admin-console.md show them (issue 19 item 5). Like test/pages.screenshots.browser.test.ts: always
 * taken (into test-results/), each checked to fit a phone's width with nothing refused by the CSP; `npm run screenshots`
 * (UPDATE_SCREENSHOTS=1) writes them to docs/screenshots/ instead. A page without a committed picture fails here.
 */

const DOCS = join(process.cwd(), 'docs', 'screenshots');
const OUT = process.env.UPDATE_SCREENSHOTS ? DOCS : join(screenshotDir, 'screenshots');

interface Variant { name: string; locale: string; viewport: { width: number; height: number } }
const VARIANTS: Variant[] = [
  { name: 'light', locale: 'en-US', viewport: { width: 1024, height: 700 } },
  { name: 'mobile', locale: 'en-US', viewport: { width: 375, height: 740 } },
  { name: 'de', locale: 'de-DE', viewport: { width: 1024, height: 700 } },
];
const CHROME_ON_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('screenshots of the admin console (Debian chromium)', () => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let open: ConsolePage | undefined;
  let page: Page;
  /** The account whose page is pictured: in a group, with a session from a Mac. */
  let shownId: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    // A fixed moment, so the pictures' times are the same every run.
    cast = await startConsoleServer('sqlite', { clock: new ManualClock(Date.UTC(2026, 11, 6, 9, 30)) }, 'shot');
    shownId = cast.alice.userId;
    expect((await cast.server.request('PUT', `/groups/${cast.readersId}/accounts/${shownId}`, { token: cast.sysToken })).status).toBe(204);
    const { accounts } = cast.server.app.services;
    for (const [i, name] of ['jonas.weber', 'li.na', 'maria.garcia', 'olu.ade', 'sam.taylor'].entries()) {
      cast.server.clock.advance(3_600_000 * (i + 1));
      await accounts.createAccount({ username: name, email: `${name}@example.org`, type: 'user', confirmed: i !== 2 });
    }
    await accounts.createAccount({ username: 'apikey-reporting', email: null, type: 'apikey', confirmed: true });
    await registerAndLogin(cast.server, 'pat@example.org');
    const mac = await cast.server.request('POST', '/api/auth/login', { json: { email: cast.alice.email, password: goodPassword }, headers: { 'user-agent': CHROME_ON_MAC } });
    expect(mac.status, mac.text).toBe(200);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await open?.context.close();
    await chromium?.close();
    await cast?.server.close();
  });

  const url = (path: string) => `${cast.server.url}${path}`;
  const asSysadmin = () => signIn(page, cast.server, 'admin', BOOTSTRAP_PASSWORD);

  /** An OpenID client to picture, stored directly (through the service it would add an event to the audit pictures). */
  const registeredClient = async () => {
    const db = cast.server.app.services.database.db;
    if (await db.selectFrom('clients').select('client_id').where('client_id', '=', 'orders-app').executeTakeFirst()) return;
    await addOidcClient(cast.server, 'orders-app', { redirectUris: ['https://orders.example.org/callback'], scopes: ['openid', 'email', 'roles'], firstParty: true });
  };

  /** Each page and how to reach it. */
  const PAGES: Array<[name: string, open: () => Promise<unknown>]> = [
    ['sign-in', () => page.goto(url('/admin/sign-in'))],
    ['home', asSysadmin],
    ['accounts', async () => {
      await asSysadmin();
      await page.goto(url('/admin/accounts'));
    }],
    ['account', async () => {
      await asSysadmin();
      await page.goto(url(`/admin/accounts/${shownId}`));
    }],
    ['delete', async () => {
      await asSysadmin();
      await page.goto(url(`/admin/accounts/${shownId}/delete`));
    }],
    ['groups', async () => {
      await asSysadmin();
      await page.goto(url('/admin/groups'));
    }],
    ['group', async () => {
      // The readers group, its members, and a preview of changed permissions.
      await asSysadmin();
      await page.goto(url(`/admin/groups/${cast.readersId}`));
      await page.locator('#permissions').fill('accounts:read\nsessions:*\n*:read');
      await page.getByRole('button', { name: /^(Preview|Vorschau)$/ }).click();
      await page.locator('#preview').waitFor();
    }],
    ['audit', async () => {
      await asSysadmin();
      await page.goto(url('/admin/audit'));
    }],
    ['keys', async () => {
      await asSysadmin();
      await page.goto(url('/admin/keys'));
    }],
    ['keys-rotate', async () => {
      await asSysadmin();
      await page.goto(url('/admin/keys/rotate'));
    }],
    ['config', async () => {
      await asSysadmin();
      await page.goto(url('/admin/config'));
    }],
    ['api-keys', async () => {
      await asSysadmin();
      await page.goto(url('/admin/api-keys'));
    }],
    ['api-key-created', async () => {
      await asSysadmin();
      await page.goto(url('/admin/api-keys'));
      await page.getByRole('button', { name: /^(Create an API key|API-Schlüssel erstellen)$/ }).click();
      await page.locator('#token').waitFor();
    }],
    ['invites', async () => {
      // One unused invite, stored directly: through the service it would also add an event to the audit pictures.
      const db = cast.server.app.services.database.db;
      if (!(await db.selectFrom('invites').select('id').executeTakeFirst())) {
        await db.insertInto('invites').values({ id: '3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b', code_hash: 'not-a-code', created_at: Date.UTC(2026, 11, 6, 9, 0), created_by: cast.sysId, used_at: null, used_by: null }).execute();
      }
      await asSysadmin();
      await page.goto(url('/admin/invites'));
    }],
    ['clients', async () => {
      await registeredClient();
      await asSysadmin();
      await page.goto(url('/admin/clients'));
    }],
    ['client', async () => {
      await registeredClient();
      await asSysadmin();
      await page.goto(url('/admin/clients/orders-app'));
    }],
    // A plain user signed in: the console's 403 page.
    ['forbidden', () => signIn(page, cast.server, 'pat@example.org')],
  ];

  describe.each(VARIANTS)('$name', (variant) => {
    it.each(PAGES)('%s', async (name, reach) => {
      await open?.context.close();
      open = await openPage(chromium, { locale: variant.locale, viewport: variant.viewport, colorScheme: 'light', timezoneId: 'Europe/Berlin', deviceScaleFactor: 1 });
      page = open.page;
      await reach();
      expect(await page.locator('html').getAttribute('lang')).toBe(variant.locale.slice(0, 2));
      expect(await page.locator('h1').isVisible()).toBe(true);
      // Nothing wider than the screen: a phone never scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(variant.viewport.width);
      expect(open.cspViolations).toEqual([]);
      const file = `admin-${name}-${variant.name}.png`;
      await page.screenshot({ path: join(OUT, file), fullPage: true });
      expect(existsSync(join(DOCS, file)), `docs/screenshots/${file} is missing: run npm run screenshots`).toBe(true);
    });
  });
});
