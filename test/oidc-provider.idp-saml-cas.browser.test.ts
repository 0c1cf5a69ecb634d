/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAccountByLogin } from '../src/accounts/account.repository.js';
import { startCallbackApp } from './helpers/callback-app.js';
import { casUsers, startCasServer, type CasServer } from './helpers/cas-server.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { authorization, codeExchange, startOidcApp, type OidcApp } from './helpers/oidc-app.js';
import { makeKey, startSamlIdpServer, type SamlIdpServer } from './helpers/saml-idp.js';
import { registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/**
 * SAML and CAS logins from the hosted login inside an OpenID interaction (issue 18 item 3, CONTRACT §5), in Chromium:
 * the app (openid-client) on 127.0.0.1, Gatehouse on 127.0.0.3, the samlify IdP on 127.0.0.4 and Debian's
 * django-cas-server on 127.0.0.5 — four sites. SAML keeps the interaction in its stored request and completion (its
 * Response returns by a cross-site POST that carries no cookie); CAS keeps it in the flow cookie (its service URL is
 * one fixed string). Either way the login goes back to the interaction, and the app's ID token says `amr` `fed`.
 */
describe('SAML and CAS logins inside an OpenID interaction (sqlite, Chromium)', () => {
  let server: TestServer;
  let idp: SamlIdpServer;
  let cas: CasServer;
  let app: OidcApp;
  let legacy: { server: Server; url: string };
  let chromium: Browser;
  const samlPerson = 'sam@saml.example';
  let samlAccount = '';

  beforeAll(async () => {
    [cas, chromium, legacy] = await Promise.all([startCasServer('127.0.0.5'), launchChromium(), startCallbackApp('127.0.0.6')]);
    idp = await startSamlIdpServer({ key: makeKey('oidc-idp'), host: '127.0.0.4', now: () => server.clock.now() });
    idp.user = samlPerson;
    server = await startServer('sqlite', {
      host: '127.0.0.3',
      config: {
        signup: { enabled: true },
        saml: { enabled: true, relyingPartyId: 'https://gatehouse.test/sp', idpMetadataUrl: idp.metadataUrl },
        cas: { enabled: true, serverUrl: cas.url, version: 'cas3', userAutoProvisioning: true },
        // A seed-000 client (token in the query): CAS is offered on its hosted login too, and delivers its token.
        clients: [{ clientID: 'legacy', callbackURL: legacy.url, config: { tokenMethod: 'query' } }],
      },
    });
    idp.trust((await server.request('GET', '/auth/saml/metadata')).text);
    app = await startOidcApp(server);
    // SAML links a verified e-mail to its account (no auto-provisioning here); CAS makes `alice` on her first login.
    samlAccount = (await registerAndLogin(server, samlPerson)).userId;
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    await Promise.all([idp?.close(), cas?.stop(), app?.close()]);
    legacy?.server.close();
  });

  async function browse(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await chromium.newContext({ locale: 'en-US' });
    // The CAS pages load Bootstrap and jQuery from CDNs; the network is closed, so fail those at once.
    await context.route(/^https:/, (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    return { context, page };
  }

  /** The app's authorization in a fresh browser, up to the hosted login; answers the interaction's uid. */
  async function toHostedLogin(page: Page, url: URL): Promise<string> {
    await page.goto(url.href);
    await page.waitForURL((at) => at.origin === server.url && at.pathname === '/auth/login');
    return new URL(page.url()).searchParams.get('interaction')!;
  }

  async function signInAtCas(page: Page): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(cas.url));
    await page.locator('input[name="username"]').fill('alice');
    await page.locator('input[name="password"]').fill(casUsers.alice.password);
    await page.locator('#login_form button[type="submit"]').click();
  }

  it('SAML: the IdP\'s cross-site POST, the finish on our site, back to the interaction; the app\'s ID token names the account with amr fed', async () => {
    const { context, page } = await browse();
    try {
      const acs = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${server.url}/auth/saml`);
      const started = await authorization(app);
      const uid = await toHostedLogin(page, started.url);
      expect(await page.getByRole('link', { name: 'Continue with SAML' }).getAttribute('href')).toBe(`/auth/saml?clientID=app&interaction=${uid}`);
      await page.getByRole('link', { name: 'Continue with SAML' }).click();
      const posted = await acs;
      // Posted by the IdP's page, another site: no cookie of ours came along.
      expect(await posted.request().headerValue('origin')).toBe(idp.origin);
      expect(await posted.request().headerValue('cookie')).toBeNull();
      expect(posted.status()).toBe(200);
      // The AuthnRequest went out with a RelayState only: the interaction stayed on the server.
      expect(idp.received.at(-1)!.relayState).not.toContain(uid);
      const claims = await codeExchange(app, page, started);
      expect([claims.sub, claims.amr, claims.email]).toEqual([samlAccount, ['fed'], samlPerson]);
      expect((await context.cookies(server.url)).some((cookie) => cookie.name === 'auth_token')).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('CAS: the fixed service URL, the interaction in the flow cookie; the app\'s ID token names the account CAS made (amr fed)', async () => {
    const { context, page } = await browse();
    try {
      const returns: Response[] = [];
      page.on('response', (response) => { if (response.url().startsWith(`${server.url}/auth/cas?ticket=`)) returns.push(response); });
      const started = await authorization(app);
      const uid = await toHostedLogin(page, started.url);
      expect(await page.getByRole('link', { name: 'Continue with CAS' }).getAttribute('href')).toBe(`/auth/cas?clientID=app&interaction=${uid}`);
      await page.getByRole('link', { name: 'Continue with CAS' }).click();
      // CAS servers compare the service URL verbatim: it stays `<baseUrl>/auth/cas`, nothing of the client in it.
      expect(new URL(page.url()).searchParams.get('service')).toBe(`${server.url}/auth/cas`);
      await screenshot(page, 'oidc-idp-cas-login');
      await signInAtCas(page);
      const claims = await codeExchange(app, page, started);
      const alice = await findAccountByLogin(server.app.services.database.db, 'alice');
      expect([claims.sub, claims.amr]).toEqual([alice!.id, ['fed']]);
      // The ticket was answered by our own landing page, which went on to the interaction.
      expect(returns.map((response) => response.status())).toEqual([200]);
    } finally {
      await context.close();
    }
  });

  it('CAS for a seed-000 client: its hosted login offers CAS, and the token reaches its callbackURL', async () => {
    const { context, page } = await browse();
    try {
      await page.goto(`${server.url}/auth/login?clientID=legacy`);
      await page.getByRole('link', { name: 'Continue with CAS' }).click();
      await signInAtCas(page);
      await page.waitForURL((url) => url.href.startsWith(legacy.url));
      const token = (await page.locator('#token').textContent())!;
      expect((await server.request('GET', '/auth/user', { token })).body.user).toBe('alice');
    } finally {
      await context.close();
    }
  });
});
