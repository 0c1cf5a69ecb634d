import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { authorizationRequest, backAtRelyingParty, exchangeCode, issuedTokenCount, pagesShownDuring, submitHostedLogin } from './helpers/oidc-flow.js';
import { registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * The consent page of an app that is not first-party (CONTRACT §5), in German by the browser's Accept-Language: it
 * lists what the app asks for, one line per scope; "Ablehnen" sends the app `access_denied` and issues nothing;
 * "Erlauben" grants it, and the grant is remembered (the next sign-in asks no more). SQLite only: the grant's SQL is
 * the one every flow of the suites on both dialects runs.
 */
describe('the consent page (sqlite, Chromium, German)', () => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  const email = 'consent@example.com';
  const gamma = { id: 'gamma', secret: 'gamma-secret-0123456789abcdef-012345' };
  let redirectUri = '';
  const scope = 'openid email profile offline_access';

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    redirectUri = `${rp.origin}/cb`;
    server = await startServer('sqlite', { host: '127.0.0.3' });
    await addOidcClient(server, gamma.id, { redirectUris: [redirectUri] }, gamma.secret);
    await registerAndLogin(server, email);
    chromium = await launchChromium();
    context = await chromium.newContext({ locale: 'de-DE' });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => closeAll(chromium, server, rp));

  it('lists the scopes in German; "Ablehnen" goes back to the app as access_denied with nothing issued', async () => {
    const request = authorizationRequest(server, gamma.id, redirectUri, { scope, prompt: 'consent' });
    await page.goto(request.url.href);
    await submitHostedLogin(page, email);
    await page.waitForURL(/\/oidc\/interaction\//);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('h1').textContent()).toBe('App gamma erlauben?');
    expect(await page.locator('main p').first().textContent()).toBe('App gamma möchte Sie anmelden und Folgendes sehen:');
    expect(await page.locator('main li').allTextContents()).toEqual([
      'dass Sie es sind (Ihre Konto-ID)',
      'Ihre E-Mail-Adresse und ob sie bestätigt ist',
      'Ihren Benutzernamen und Ihre Sprache',
      'Zugriff, während Sie nicht da sind (die Anmeldung bleibt bestehen)',
    ]);
    await screenshot(page, 'oidc-consent-de');

    const before = await issuedTokenCount(server);
    await page.click('button[value=deny]');
    const back = await backAtRelyingParty(page, rp);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(request.state);
    expect(back.searchParams.has('code')).toBe(false);
    expect(await issuedTokenCount(server)).toBe(before);
  });

  it('"Erlauben" grants what was listed; the next sign-in of the app asks nothing (the grant is remembered)', async () => {
    const request = authorizationRequest(server, gamma.id, redirectUri, { scope, prompt: 'consent' });
    await page.goto(request.url.href);
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.click('button[value=allow]');
    const callback = await backAtRelyingParty(page, rp);
    const tokens = (await exchangeCode(server, request, callback, gamma)).body;
    expect(tokens.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    expect(tokens.refresh_token).toBeTruthy();

    const again = authorizationRequest(server, gamma.id, redirectUri, { scope: 'openid email' });
    const shown = await pagesShownDuring(page, async () => {
      await page.goto(again.url.href);
      await backAtRelyingParty(page, rp);
    });
    expect(shown.some((url) => url.includes('/oidc/interaction/') || url.includes('/auth/login')), shown.join('\n')).toBe(false);
  });

  it('a consent form posted without its form token is refused (no grant from a foreign page)', async () => {
    const request = authorizationRequest(server, gamma.id, redirectUri, { scope, prompt: 'consent' });
    await page.goto(request.url.href);
    await page.waitForURL(/\/oidc\/interaction\//);
    const action = await page.locator('form').getAttribute('action');
    const answer = await page.request.post(new URL(action!, server.url).href, { form: { decision: 'allow' }, maxRedirects: 0 });
    expect(answer.status()).toBe(403);
    expect(answer.headers().location).toBeUndefined();
  });
});
