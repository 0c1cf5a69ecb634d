import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from './helpers/admin-console.js';
import { launchChromium } from './helpers/chromium.js';
import { uniqueEmail } from './helpers/mfa.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { authorizationRequest, backAtRelyingParty, browserSessionOf, pagesShownDuring, verifiedIdToken, type AuthorizationRequest } from './helpers/oidc-flow.js';
import { freePort } from './helpers/ports.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { ceremonyInPage, pageWithAuthenticator } from './helpers/webauthn-browser.js';

const LOA2 = 'urn:gatehouse:loa:2';

/**
 * "Sign in with a passkey" on the hosted login of an OpenID interaction (issue 18 item 3: the interaction offers
 * everything the hosted login does, and `amr`/`acr` reflect what happened). Chromium's virtual authenticator answers;
 * the provider is `localhost` (a passkey's RP ID must be a domain, not an IP) and the app another site, 127.0.0.2.
 */
describe.each(dialects)('a passkey login inside an OpenID interaction (%s, Chromium virtual authenticator)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let user: { email: string; userId: string; accessToken: string };
  /** The provider as the browser and the apps know it (its issuer); the tests' own requests go to its IP. */
  let base: string;
  const alpha = { id: 'alpha', secret: 'passkey-rp-secret-0123456789abcdef-0123' };
  const beta = { id: 'beta', secret: 'passkey-rp-secret-0123456789abcdef-0123' };

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.2');
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer(dialect, { port, config: { server: { baseUrl: base } } });
    for (const client of [alpha, beta]) await addOidcClient(server, client.id, { redirectUris: [`${rp.origin}/cb`], firstParty: true }, client.secret);
    const email = uniqueEmail('oidc-passkey');
    user = { email, ...(await registerAndLogin(server, email)) };
    chromium = await launchChromium();
    context = await chromium.newContext({ locale: 'en-US' });
    ({ page, cdp, authenticatorId } = await pageWithAuthenticator(context));
    // The person's passkey, made by the virtual authenticator through the JSON API (the page is only its origin).
    await page.goto(`${base}/auth/login?clientID=alpha`);
    const added = await page.evaluate(ceremonyInPage, {
      kind: 'create' as const, optionsPath: '/api/auth/passkeys/options', token: user.accessToken, post: { path: '/api/auth/passkeys', body: { name: 'Chromium' } },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
    await rp?.close();
  });

  const idToken = (request: AuthorizationRequest, callback: URL, client: { id: string; secret: string }) => verifiedIdToken(server, request, callback, client, base);

  /** An authorization request at the provider's `localhost` address. */
  const browserRequest = (clientId: string, extra: Record<string, string>) => {
    const request = authorizationRequest(server, clientId, `${rp.origin}/cb`, extra);
    request.url.host = new URL(base).host;
    return request;
  };

  it('"Continue with a passkey" signs in for the app: amr hwk+mfa, acr loa:2, the session recorded as a passkey login', async () => {
    const request = browserRequest(alpha.id, { scope: 'openid' });
    await page.goto(request.url.href);
    await page.getByRole('heading', { name: 'Sign in with a passkey' }).waitFor();
    await page.getByRole('button', { name: 'Continue with a passkey' }).click();
    const claims = await idToken(request, await backAtRelyingParty(page, rp), alpha);
    expect(claims).toMatchObject({ sub: user.userId, acr: LOA2, amr: ['hwk', 'mfa'] });
    const session = await browserSessionOf(server, context, base);
    expect(session).toMatchObject({ account_id: user.userId, method: 'passkey', amr: 'hwk mfa', client_id: alpha.id });
    expect(await auditEvents(server, 'login.succeeded', user.userId)).toContainEqual({ method: 'passkey' });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials[0]!.signCount).toBeGreaterThan(0);
  });

  it('the passkey session is multi-factor: another app asking for loa:2 gets it by single sign-on, no page shown', async () => {
    const request = browserRequest(beta.id, { scope: 'openid', acr_values: LOA2 });
    let callback!: URL;
    const shown = await pagesShownDuring(page, async () => {
      await page.goto(request.url.href);
      callback = await backAtRelyingParty(page, rp);
    });
    expect(shown.filter((url) => new URL(url).origin === base), shown.join('\n')).toEqual([]);
    expect(await idToken(request, callback, beta)).toMatchObject({ sub: user.userId, acr: LOA2, amr: ['hwk', 'mfa'] });
  });
});
