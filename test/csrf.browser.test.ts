/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/*
 * Login CSRF in a real browser (CONTRACT §5): Gatehouse on 127.0.0.1, an attacker's site on 127.0.0.2 and a seed-000
 * client's site on 127.0.0.3 — three origins, and three sites, as a browser sees them.
 */

interface Site {
  server: Server;
  origin: string;
  /** What the page at a path is; set after Gatehouse has its port. */
  pages: Map<string, string>;
}

/** A plain web site on `host`: serves the pages in `pages`, and at `/callback` shows the token it was handed. */
function startSite(host: string): Promise<Site> {
  const pages = new Map<string, string>();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (url.pathname === '/callback') response.end(`<h1>callback</h1><p id="token">${url.searchParams.get('token') ?? ''}</p>`);
    else response.end(pages.get(url.pathname) ?? '<h1>nothing here</h1>');
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => resolve({ server, pages, origin: `http://${host}:${(server.address() as { port: number }).port}` }));
  });
}

/** A page holding one form that posts `fields` to `action`; with `autoSubmit`, the page sends it as it loads. */
function formPage(action: string, fields: Record<string, string>, autoSubmit = false): string {
  const inputs = Object.entries(fields).map(([name, value]) => `<input name="${name}" value="${value}">`).join('');
  const script = autoSubmit ? '<script>document.forms[0].submit()</script>' : '';
  return `<!doctype html><html><body><h1>a site</h1><form method="post" action="${action}">${inputs}<button type="submit">Go</button></form>${script}</body></html>`;
}

describe('login CSRF in a real browser (Debian chromium)', () => {
  let server: TestServer;
  let attacker: Site;
  let client: Site;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    attacker = await startSite('127.0.0.2');
    client = await startSite('127.0.0.3');
    server = await startServer('sqlite', {
      config: { clients: [{ clientID: 'site', callbackURL: `${client.origin}/callback`, config: { tokenMethod: 'query' } }] },
    });
    await registerAndLogin(server, 'attacker@example.com');
    await registerAndLogin(server, 'member@example.com');
    attacker.pages.set('/', formPage(`${server.url}/auth/cookie`, { auth_username: 'attacker@example.com', auth_password: goodPassword }, true));
    attacker.pages.set('/login', formPage(`${server.url}/auth/login?clientID=site`, { email: 'attacker@example.com', password: goodPassword }, true));
    client.pages.set('/', formPage(`${server.url}/auth/login?clientID=site`, { email: '', password: '' }));
    client.pages.set('/cookie', formPage(`${server.url}/auth/cookie`, { auth_username: '', auth_password: '' }));
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
    attacker?.server.close();
    client?.server.close();
  });

  const fresh = async () => {
    await context?.close();
    context = await chromium.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  };
  const sessionsOf = async (username: string) => {
    const db = server.app.services.database.db;
    const account = await db.selectFrom('accounts').select('id').where('username', '=', username).executeTakeFirstOrThrow();
    return (await db.selectFrom('sessions').select('id').where('account_id', '=', account.id).execute()).length;
  };
  /** The auth cookie the browser holds for Gatehouse, if any. */
  const authCookie = async () => (await context.cookies(server.url)).find((cookie) => cookie.name === server.config.cookie.name);

  it('refuses a foreign page that auto-submits the attacker\'s credentials to /auth/cookie: the victim\'s browser gets no session', async () => {
    await fresh();
    const before = await sessionsOf('attacker@example.com');
    const answer = page.waitForResponse((response) => response.url() === `${server.url}/auth/cookie`);
    await page.goto(`${attacker.origin}/`);
    expect((await answer).status()).toBe(403);
    expect((await (await answer).request().allHeaders()).origin).toBe(attacker.origin);
    expect(await authCookie()).toBeUndefined();
    expect(await sessionsOf('attacker@example.com')).toBe(before);
    await page.goto(`${server.url}/auth/user`);
    expect(JSON.parse((await page.locator('body').textContent())!).id).toBe('_guest');
  });

  it('refuses a foreign page that auto-submits the hosted login form: no token reaches the client', async () => {
    await fresh();
    const before = await sessionsOf('attacker@example.com');
    const answer = page.waitForResponse((response) => response.url().startsWith(`${server.url}/auth/login`) && response.request().method() === 'POST');
    await page.goto(`${attacker.origin}/login`);
    expect((await answer).status()).toBe(403);
    expect(page.url().startsWith(client.origin)).toBe(false);
    expect(await sessionsOf('attacker@example.com')).toBe(before);
    // What the person sees is Gatehouse's own form, which they can fill in themselves.
    expect(await page.getByRole('alert').textContent()).toContain('This form expired. Please try again.');
  });

  it('lets a seed-000 client\'s own page on its callback origin post the login form: it ends at callback?token=', async () => {
    await fresh();
    await page.goto(`${client.origin}/`);
    await page.locator('input[name="email"]').fill('member@example.com');
    await page.locator('input[name="password"]').fill(goodPassword);
    await page.getByRole('button', { name: 'Go' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${client.origin}/callback?token=`));
    await screenshot(page, 'client-site-login-callback');
    const token = (await page.locator('#token').textContent())!;
    expect((await server.request('GET', '/auth/user', { token })).body.user).toBe('member@example.com');
  });

  it('lets the client\'s page post /auth/cookie: the browser holds the session', async () => {
    await fresh();
    await page.goto(`${client.origin}/cookie`);
    await page.locator('input[name="auth_username"]').fill('member@example.com');
    await page.locator('input[name="auth_password"]').fill(goodPassword);
    const answer = page.waitForResponse((response) => response.url() === `${server.url}/auth/cookie`);
    await page.getByRole('button', { name: 'Go' }).click();
    expect((await answer).status()).toBe(200);
    expect(JSON.parse((await page.locator('body').textContent())!).user).toBe('member@example.com');
    expect(await authCookie()).toBeDefined();
  });
});
