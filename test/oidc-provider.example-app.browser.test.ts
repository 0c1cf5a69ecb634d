import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The README's example app, as a reader runs it (examples/oidc-app/app.mjs).
import { startApp } from '../examples/oidc-app/app.mjs';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { addOidcClient } from './helpers/oidc-clients.js';
import { freePort } from './helpers/ports.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/** README "Use Gatehouse as your apps' sign-in": the example app signs a person in and out through Gatehouse in Chromium. */
describe('the README example app (openid-client) against Gatehouse (sqlite, Chromium)', () => {
  let server: TestServer;
  let app: FastifyInstance;
  let chromium: Browser;
  let page: Page;
  let appUrl = '';
  const email = 'example-app@example.com';

  beforeAll(async () => {
    server = await startServer('sqlite', { host: '127.0.0.3', config: { signup: { enabled: true } } });
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    const secret = 'example-app-secret-0123456789abcdef-012';
    await addOidcClient(server, 'my-app', { redirectUris: [`${appUrl}/callback`], postLogoutRedirectUris: [`${appUrl}/`], firstParty: true }, secret);
    await registerAndLogin(server, email);
    app = (await startApp({ issuer: server.url, clientId: 'my-app', clientSecret: secret, port })) as FastifyInstance;
    chromium = await launchChromium();
    page = await (await chromium.newContext()).newPage();
  });

  afterAll(async () => closeAll(chromium, app, server));

  it('signs in on the hosted login, shows the person, and signs out of the app and Gatehouse', async () => {
    await page.goto(`${appUrl}/`);
    await page.click('text=Sign in with Gatehouse');
    await page.waitForURL(/\/auth\/login\?/);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', goodPassword);
    await page.click('form[action^="/auth/login"] button[type=submit]');
    await page.waitForURL(`${appUrl}/`);
    expect(await page.locator('#who').innerText()).toBe(`Signed in as ${email}`);
    await screenshot(page, 'oidc-example-app');
    await page.click('text=Sign out');
    await page.click('button[name=logout]');
    await page.waitForURL(`${appUrl}/`);
    expect(await page.locator('a[href="/login"]').count()).toBe(1);
  });
});
