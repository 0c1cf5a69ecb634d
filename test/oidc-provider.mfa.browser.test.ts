import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { enrolTotp, oathtool, STEP, type EnrolledUser } from './helpers/mfa.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { authorizationRequest, backAtRelyingParty, pagesShownDuring, submitHostedLogin, verifiedIdToken } from './helpers/oidc-flow.js';
import { dialects, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * A second factor inside an OpenID sign-in (CONTRACT §5: the interaction is the hosted login with everything it
 * offers): an account with TOTP signs in through the authorization flow in Chromium, gets the second page, enters
 * oathtool's code, and the ID token says how — `amr` with `otp` and `mfa`, `acr` the multi-factor class. A later
 * request for that class (`acr_values`) is then single sign-on.
 */
describe.each(dialects)('a second factor inside the OpenID sign-in (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let user: EnrolledUser;
  const app = { id: 'app', secret: 'mfa-secret-0123456789abcdef-0123456789' };
  const other = { id: 'other', secret: 'mfa-other-secret-0123456789abcdef-01' };
  let redirectUri = '';

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    redirectUri = `${rp.origin}/cb`;
    server = await startServer(dialect, { host: '127.0.0.3' });
    await addOidcClient(server, app.id, { redirectUris: [redirectUri], firstParty: true }, app.secret);
    await addOidcClient(server, other.id, { redirectUris: [redirectUri], firstParty: true }, other.secret);
    user = await enrolTotp(server, `oidc-${dialect}`);
    chromium = await launchChromium();
    context = await chromium.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => closeAll(chromium, server, rp));

  const idToken = (request: ReturnType<typeof authorizationRequest>, callback: URL, client: { id: string; secret: string }) => verifiedIdToken(server, request, callback, client);

  it('password, then the code page, then oathtool\'s code: the ID token has amr otp and mfa, acr urn:gatehouse:loa:2', async () => {
    const request = authorizationRequest(server, app.id, redirectUri, { scope: 'openid email' });
    await page.goto(request.url.href);
    await submitHostedLogin(page, user.email);
    await page.locator('#totp-code').waitFor();
    // The second page still belongs to the interaction: it goes back there, not to seed 000's token delivery.
    expect(new URL(page.url()).searchParams.get('interaction')).toBeTruthy();
    await page.locator('#totp-code').fill('000000');
    await page.locator('#totp-code').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is wrong or was already used.');
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(user.secret, server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    const callback = await backAtRelyingParty(page, rp);
    expect(callback.searchParams.has('token')).toBe(false);

    const claims = await idToken(request, callback, app);
    expect(claims.sub).toBe(user.userId);
    expect(claims.nonce).toBe(request.nonce);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.acr).toBe('urn:gatehouse:loa:2');
  });

  it('another app asking for the multi-factor class (acr_values) gets it by single sign-on, no page shown', async () => {
    const request = authorizationRequest(server, other.id, redirectUri, { scope: 'openid', acr_values: 'urn:gatehouse:loa:2' });
    let callback!: URL;
    const shown = await pagesShownDuring(page, async () => {
      await page.goto(request.url.href);
      callback = await backAtRelyingParty(page, rp);
    });
    expect(shown.some((url) => new URL(url).pathname.startsWith('/auth/')), shown.join('\n')).toBe(false);
    const claims = await idToken(request, callback, other);
    expect(claims).toMatchObject({ sub: user.userId, acr: 'urn:gatehouse:loa:2' });
    expect(claims.amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
  });
});
