/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/*
 * Issue 16 item 8 in Debian's Chromium: branding.* themes the pages (logo and style sheet from another origin, which
 * the CSP admits), the login page names the client, the password hint lists the policy, and the account page shows
 * devices and times in the browser's zone.
 */

const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"><rect width="64" height="32" fill="#7c3aed"/></svg>';
const CSS = 'body{background:rgb(250, 245, 255)}.brand span{letter-spacing:2px}';

/** The operator's asset host (logo and style sheet), on a loopback address of its own, as a CDN would be. */
function startAssetHost(): Promise<{ server: Server; origin: string }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      if (request.url === '/acme.svg') response.writeHead(200, { 'content-type': 'image/svg+xml' }).end(LOGO);
      else if (request.url === '/acme.css') response.writeHead(200, { 'content-type': 'text/css' }).end(CSS);
      else response.writeHead(404).end();
    });
    server.listen(0, '127.0.0.2', () => resolve({ server, origin: `http://127.0.0.2:${(server.address() as { port: number }).port}` }));
  });
}

describe('the look of hosted pages in a real browser (Debian chromium)', () => {
  let server: TestServer;
  let assets: { server: Server; origin: string };
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let cspViolations: string[];

  beforeAll(async () => {
    assets = await startAssetHost();
    server = await startServer('sqlite', {
      config: {
        clients: [{ clientID: 'demo', name: 'Demo App', callbackURL: 'http://127.0.0.1:9/cb' }],
        branding: { productName: 'Acme Accounts', logoUrl: `${assets.origin}/acme.svg`, css: `${assets.origin}/acme.css`, primaryColor: '#7c3aed' },
        password: { policy: { symbol: true, custom: ['^\\S+$'] } },
      },
    });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
    assets?.server.close();
  });

  const fresh = async (options: { locale?: string; timezoneId?: string } = {}) => {
    await context?.close();
    context = await chromium.newContext({ locale: options.locale ?? 'en-US', timezoneId: options.timezoneId ?? 'UTC', colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    cspViolations = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  };

  it('themes the login page with the logo, style sheet and colour of another origin, and names the client', async () => {
    await fresh();
    await page.goto(`${server.url}/auth/login?clientID=demo`);
    expect(await page.title()).toBe('Sign in to Demo App · Acme Accounts');
    expect(await page.locator('h1').textContent()).toBe('Sign in to Demo App');
    expect(await page.locator('.brand').textContent()).toBe('Acme Accounts');
    // The logo loaded and the style sheet applied: the CSP admitted the asset host.
    await expect.poll(() => page.locator('.brand img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(250, 245, 255)');
    expect(await page.getByRole('button', { name: 'Sign in', exact: true }).evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(124, 58, 237)');
    expect(cspViolations).toEqual([]);
    await screenshot(page, 'branding-login');
  });

  it('lists every rule of the configured policy under the new password, read out with the field', async () => {
    await fresh();
    await page.goto(`${server.url}/auth/register?clientID=demo`);
    const rules = await page.locator('#password-hint li').allTextContents();
    expect(rules).toEqual(['10 to 2048 characters', 'a lowercase letter', 'an uppercase letter', 'a digit', 'a symbol (a character that is not a letter or digit)', 'a match for the pattern ^\\S+$']);
    expect(await page.getByLabel('Password').getAttribute('aria-describedby')).toBe('password-hint');
    expect(await page.locator('#password-hint').isVisible()).toBe(true);
    await fresh({ locale: 'de-DE' });
    await page.goto(`${server.url}/auth/register?clientID=demo`);
    expect(await page.locator('#password-hint li').first().textContent()).toBe('10 bis 2048 Zeichen');
    expect(await page.locator('h1').textContent()).toBe('Konto für Demo App erstellen');
  });

  it('shows each session\'s device and its start in the browser\'s time zone and language', async () => {
    const email = 'devices@example.com';
    await registerAndLogin(server, email, 'Device-Pass-1!');
    // A session from curl, started at a known moment.
    server.clock.set(Date.UTC(2026, 11, 6, 9, 30));
    await server.request('POST', '/api/auth/login', { json: { email, password: 'Device-Pass-1!' }, headers: { 'user-agent': 'curl/8.5.0' } });
    await fresh({ locale: 'de-DE', timezoneId: 'Asia/Tokyo' });
    await page.goto(`${server.url}/account`);
    await page.getByLabel('E-Mail oder Benutzername').fill(email);
    await page.getByLabel('Passwort').fill('Device-Pass-1!');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('heading', { name: 'Wo Sie angemeldet sind' }).waitFor();

    const major = chromium.version().split('.')[0];
    const devices = await page.locator('.device').allTextContents();
    expect(devices).toContain(`Chrome ${major} unter Linux`);
    expect(devices).toContain('curl/8.5.0');
    // 09:30 UTC is 18:30 in Tokyo; the UTC text stays as the tooltip.
    const curlRow = page.locator('tr', { has: page.locator('.device', { hasText: 'curl/8.5.0' }) });
    await expect.poll(() => curlRow.locator('time').textContent()).toBe('06.12.2026, 18:30');
    expect(await curlRow.locator('time').getAttribute('title')).toBe('2026-12-06 09:30 UTC');
    expect(await curlRow.locator('time').getAttribute('datetime')).toBe('2026-12-06T09:30:00.000Z');
    expect(cspViolations).toEqual([]);
    await screenshot(page, 'account-devices-de');
  });

  it('keeps the UTC text where scripts do not run', async () => {
    await fresh();
    await context.close();
    context = await chromium.newContext({ locale: 'en-US', timezoneId: 'Asia/Tokyo', javaScriptEnabled: false });
    page = await context.newPage();
    await page.goto(`${server.url}/account`);
    await page.getByLabel('E-mail or user name').fill('devices@example.com');
    await page.getByLabel('Password').fill('Device-Pass-1!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Where you are signed in' }).waitFor();
    expect(await page.locator('time').first().textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  });
});
