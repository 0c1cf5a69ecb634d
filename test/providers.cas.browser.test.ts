/// <reference lib="dom" />
import type { Browser, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casUsers, startCasServer, type CasServer } from './helpers/cas-server.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { startServer } from './helpers/server.js';

/**
 * CAS 1/2/3 and SAML 1.1 logins walked in Debian's chromium against Debian's django-cas-server (CONTRACT §5,
 * issue 14 items 2 and 10): Gatehouse on 127.0.0.1, the CAS server a site of its own on 127.0.0.5, so Chromium
 * applies its real SameSite rules to the return with the ticket. The page Chromium ends on — never a second
 * navigation — must already show the person.
 */
describe('CAS logins in a real browser (Debian chromium), the CAS server on its own site', () => {
  let cas: CasServer;
  let chromium: Browser;

  beforeAll(async () => {
    [cas, chromium] = await Promise.all([startCasServer('127.0.0.5'), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await cas?.stop();
  });

  it.each([
    { version: 'cas1', successUrl: null },
    { version: 'cas2', successUrl: null },
    { version: 'cas3', successUrl: null },
    { version: 'saml11', successUrl: '/auth/user?via=cas' },
  ] as const)('$version: the first page after the login already shows the person (redirectSuccessUrl $successUrl)', async ({ version, successUrl }) => {
    const server = await startServer('sqlite', {
      config: { cas: { enabled: true, serverUrl: cas.url, version, userAutoProvisioning: true, redirectSuccessUrl: successUrl } },
    });
    const context = await chromium.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      // The CAS pages load Bootstrap and jQuery from CDNs; the network is closed, so fail those at once.
      await context.route(/^https:/, (route) => route.abort());
      const returns: Response[] = [];
      page.on('response', (response) => {
        const url = new URL(response.url());
        if (url.origin === server.url && url.pathname === '/auth/cas' && url.searchParams.has('ticket')) returns.push(response);
      });
      await page.goto(`${server.url}/auth/cas`);
      expect(new URL(page.url()).origin).toBe(new URL(cas.url).origin);
      await page.locator('input[name="username"]').fill('alice');
      await page.locator('input[name="password"]').fill(casUsers.alice.password);
      await page.locator('#login_form button[type="submit"]').click();
      const landing = new URL(successUrl ?? '/auth/user', server.url);
      await page.waitForURL((url) => url.origin === server.url && url.pathname === landing.pathname);
      await page.waitForLoadState('load');
      await screenshot(page, `cas-${version}-landing`);
      expect(page.url()).toBe(landing.href);
      expect(JSON.parse((await page.locator('body').textContent())!)).toMatchObject({ user: 'alice' });
      // The ticket was answered by our own landing page, and Chromium went on from there by itself.
      expect(returns.map((response) => response.status())).toEqual([200]);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);
});
