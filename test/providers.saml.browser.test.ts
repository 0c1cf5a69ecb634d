/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { makeKey, startSamlIdpServer, type SamlIdpServer } from './helpers/saml-idp.js';
import { Browser as CookieClient } from './helpers/browser.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * SAML in Debian's Chromium, with the samlify IdP on 127.0.0.3 and Gatehouse on 127.0.0.1 (two sites): the IdP
 * returns the Response by a cross-site POST, which carries no SameSite=Lax or Strict cookie (CONTRACT §5).
 */

/** The client application a login redirects to: a real HTTP server that shows what it received. */
function startCallbackApp(): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<h1>callback</h1><p id="token">${new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? ''}</p>`);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback` }));
  });
}

let chromium: Browser;
let callback: { server: Server; url: string };
beforeAll(async () => {
  chromium = await launchChromium();
  callback = await startCallbackApp();
});
afterAll(async () => {
  await chromium?.close();
  callback?.server.close();
});

/** A Gatehouse on 127.0.0.1 with SAML against its own IdP server on 127.0.0.3. */
async function setup(saml: Record<string, unknown>): Promise<{ server: TestServer; idp: SamlIdpServer; close(): Promise<void> }> {
  let server: TestServer | undefined;
  const idp = await startSamlIdpServer({ key: makeKey('browser-idp'), now: () => server!.clock.now() });
  server = await startServer('sqlite', {
    config: {
      saml: { enabled: true, relyingPartyId: 'https://gatehouse.test/sp', idpMetadataUrl: idp.metadataUrl, userAutoProvisioning: true, ...saml },
      clients: [{ clientID: 'web', callbackURL: callback.url, config: { tokenMethod: 'query' } }],
    },
  });
  idp.trust((await server.request('GET', '/auth/saml/metadata')).text);
  return { server, idp, close: async () => { await server.close(); await idp.close(); } };
}

/**
 * Opens a fresh browser profile, and records the ACS's answer (the IdP's cross-site POST) and the finish route's
 * (the hop our own page starts) when they come.
 */
async function freshPage(server: TestServer): Promise<{ page: Page; acs: Promise<Response>; finish: Promise<Response>; close(): Promise<void> }> {
  const context = await chromium.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const acs = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${server.url}/auth/saml`);
  const finish = page.waitForResponse((r) => r.url().startsWith(`${server.url}/auth/saml/finish?`));
  // Awaited by the test; a page closed before the POST must not leave an unhandled rejection behind.
  acs.catch(() => undefined);
  finish.catch(() => undefined);
  return { page, acs, finish, close: () => context.close() };
}

/** What the `/auth/user` page Chromium landed on says: the first page after the login, not a navigation of ours. */
async function userOnPage(page: Page): Promise<string> {
  return JSON.parse((await page.locator('body').innerText()) || '{}').user;
}

/** What `/auth/user` says in this browser, read by a navigation the person makes on our own site. */
async function signedInAs(page: Page, server: TestServer): Promise<string> {
  await page.goto(`${server.url}/auth/user`);
  return JSON.parse((await page.locator('body').innerText()) || '{}').user;
}

describe.each(['get', 'post'] as const)('SAML login in Chromium, redirectMethod %s, IdP on another site', { timeout: 60_000 }, (redirectMethod) => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup({ redirectMethod });
  });
  afterAll(async () => s?.close());

  it('without clientID: the ACS accepts the cross-site POST, and the browser has the session', async () => {
    s.idp.user = `${redirectMethod}-session@example.com`;
    const { page, acs, finish, close } = await freshPage(s.server);
    try {
      await page.goto(`${s.server.url}/auth/saml`, { waitUntil: 'commit' });
      const answer = await acs;
      // The IdP's form posted from another site: exactly the request a Lax or Strict cookie does not ride on.
      expect(await answer.request().headerValue('sec-fetch-site')).toBe('cross-site');
      expect(await answer.request().headerValue('cookie')).toBeNull();
      expect(answer.status()).toBe(200); // our own page: the next hop starts on our own site
      // ... so the binding cookie rides on it, and the finish route starts the session.
      const finished = await finish;
      expect(await finished.request().headerValue('cookie')).toMatch(/(^|; )gh_saml=[\w-]{43}($|;)/);
      expect(finished.status()).toBe(200);
      await page.waitForURL(`${s.server.url}/auth/user`);
      await screenshot(page, `saml-${redirectMethod}-landing`);
      expect(s.idp.received.at(-1)).toMatchObject({ binding: redirectMethod === 'get' ? 'redirect' : 'post', relayState: expect.stringMatching(/^[\w-]{43}$/) });
      expect(await userOnPage(page)).toBe(`${redirectMethod}-session@example.com`);
    } finally {
      await close();
    }
  });

  it('with clientID: the browser ends at the client callback with a token for the person', async () => {
    s.idp.user = `${redirectMethod}-client@example.com`;
    const { page, acs, close } = await freshPage(s.server);
    try {
      await page.goto(`${s.server.url}/auth/saml?clientID=web`, { waitUntil: 'commit' });
      expect((await acs).status()).toBe(200);
      await page.waitForURL((url) => url.toString().startsWith(callback.url));
      const token = new URL(page.url()).searchParams.get('token');
      expect(token).toBeTruthy();
      expect(await page.locator('#token').innerText()).toBe(token);
      const user = await s.server.request('GET', '/auth/user', { token: token! });
      expect(user.body.user).toBe(`${redirectMethod}-client@example.com`);
    } finally {
      await close();
    }
  });
});

describe('IdP-initiated SAML login in Chromium', () => {
  it('is refused by default, and with saml.allowIdpInitiated lands at the default target with a session', async () => {
    for (const allowIdpInitiated of [false, true]) {
      const s = await setup({ allowIdpInitiated });
      const { page, acs, close } = await freshPage(s.server);
      try {
        s.idp.user = 'unsolicited@example.com';
        await page.goto(`${s.idp.origin}/unsolicited`, { waitUntil: 'commit' });
        if (!allowIdpInitiated) {
          expect((await acs).status()).toBe(401);
          await page.waitForURL(`${s.server.url}/auth/saml`);
          expect(await signedInAs(page, s.server)).toBe('_guest');
          continue;
        }
        expect((await acs).status()).toBe(200);
        await page.waitForURL(`${s.server.url}/auth/user`);
        expect(await userOnPage(page)).toBe('unsolicited@example.com');
      } finally {
        await close();
        await s.close();
      }
    }
  });
});

/** The attacker's site (127.0.0.2): a page that auto-posts a Response and RelayState to Gatehouse's ACS. */
function startAttackerSite(acsUrl: string, fields: Record<string, string>): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`).join('');
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><p>Win a prize!</p><form method="post" action="${acsUrl}">${inputs}</form><script>document.forms[0].submit()</script>`);
    });
    server.listen(0, '127.0.0.2', () => resolve({ server, url: `http://127.0.0.2:${(server.address() as AddressInfo).port}/prize` }));
  });
}

describe('login CSRF against SAML in Chromium', { timeout: 60_000 }, () => {
  it("a foreign page auto-posting the attacker's own valid Response and RelayState leaves the victim's browser without a session", async () => {
    const s = await setup({});
    let attackerSite: { server: Server; url: string } | undefined;
    try {
      // The attacker starts a login of its own and lets the IdP answer it, keeping the signed Response.
      s.idp.user = 'attacker@example.com';
      const start = await new CookieClient(s.server).request('GET', '/auth/saml');
      const idpPage = await (await fetch(start.headers.get('location')!)).text();
      const field = (name: string) => /name="(\w+)" value="([^"]*)"/g.exec(idpPage.slice(idpPage.indexOf(`name="${name}"`)))![2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
      const fields = { SAMLResponse: field('SAMLResponse'), RelayState: field('RelayState') };
      expect(fields.RelayState).toMatch(/^[\w-]{43}$/);
      attackerSite = await startAttackerSite(`${s.server.url}/auth/saml`, fields);

      const { page, acs, finish, close } = await freshPage(s.server);
      try {
        await page.goto(attackerSite.url, { waitUntil: 'commit' });
        expect((await acs).status()).toBe(200);
        // Wherever the ACS's page leads the victim's browser on our site, it ends without the attacker's session.
        await page.waitForURL((url) => url.origin === s.server.url && url.pathname !== '/auth/saml');
        await screenshot(page, 'saml-login-csrf-refused');
        expect(await signedInAs(page, s.server)).toBe('_guest');
        // The victim's browser holds no binding nonce of that login: the finish refused it, nothing was started.
        const refused = await finish;
        expect(refused.status()).toBe(401);
        expect(await refused.headerValue('x-error-code')).toBe('invalid-credentials');
      } finally {
        await close();
      }
    } finally {
      attackerSite?.server.close();
      await s.close();
    }
  });
});
