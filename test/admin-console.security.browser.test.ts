/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oathtool } from './helpers/mfa.js';
import { dialects, goodPassword, registerAndLogin } from './helpers/server.js';
import { accountIdOf, auditEvents, BOOTSTRAP_PASSWORD, launchChromium, liveSessions, openPage, signIn, startConsoleServer, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * What the console must refuse, in Debian's Chromium: acting above one's rank (CONTRACT §3) — an admin on a sysadmin —
 * even with a hand-made form carrying a valid token; and cross-site request forgery, from a foreign site (no cookie
 * rides along) and from a same-site page of another origin (the cookie does ride along, so the Origin check and the
 * form token must hold).
 */

/** Posts `fields` to `action` from inside `page`, as a form a person submits (a hand-made form, not one the console drew). */
async function postForm(page: Page, action: string, fields: Record<string, string>): Promise<number> {
  await page.evaluate(({ action, fields }) => {
    const form = document.createElement('form');
    form.id = 'forged';
    form.method = 'post';
    form.action = action;
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.name = name;
      input.value = value;
      form.append(input);
    }
    const button = document.createElement('button');
    button.textContent = 'forged';
    form.append(button);
    document.body.append(form);
  }, { action, fields });
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST'),
    page.locator('#forged button').click(),
  ]);
  // The answer's page (or the one its redirect leads to) has replaced the page that held the form.
  await page.locator('#forged').waitFor({ state: 'detached' });
  await page.waitForLoadState();
  return answer.status();
}

/** The console form token of the signed-in page (every page's sign-out form carries it). */
const tokenOf = (page: Page) => page.locator('nav input[name="csrf"]').first().inputValue();

describe.each(dialects)('admin console: no one acts above their rank (%s, Debian chromium)', (dialect) => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let open: ConsolePage;

  beforeAll(async () => {
    cast = await startConsoleServer(dialect);
    chromium = await launchChromium();
    open = await openPage(chromium);
    await signIn(open.page, cast.server, cast.carol.email);
  });
  afterAll(async () => {
    await open?.context.close();
    await chromium?.close();
    await cast?.server.close();
  });
  const url = (path: string) => `${cast.server.url}${path}`;

  it('lets the sysadmin act on the admin: the same page offers every action', async () => {
    const sys = await openPage(chromium);
    try {
      await signIn(sys.page, cast.server, 'admin', BOOTSTRAP_PASSWORD);
      await sys.page.goto(url(`/admin/accounts/${cast.carol.userId}`));
      expect(await sys.page.getByRole('note').count()).toBe(0);
      expect(await sys.page.getByRole('link', { name: 'Delete this account…' }).count()).toBe(1);
      expect(await sys.page.getByRole('link', { name: 'End all sessions…' }).count()).toBe(1);
    } finally {
      await sys.context.close();
    }
  });

  it('shows an admin the sysadmin’s page without a single action, and says why', async () => {
    const { page } = open;
    await page.goto(url(`/admin/accounts/${cast.sysId}`));
    expect(await page.getByRole('note').textContent()).toContain('holds roles or permissions that you do not hold');
    expect(await page.locator('main form').count()).toBe(0);
    expect(await page.locator('main a.button').count()).toBe(0);
    for (const path of ['delete', 'reset-mfa', 'end-sessions']) {
      const confirmation = await page.goto(url(`/admin/accounts/${cast.sysId}/${path}`));
      expect(confirmation?.status(), path).toBe(403);
      expect(await page.getByRole('alert').textContent()).toContain('you may not change it');
    }
  });

  it('refuses the admin’s hand-made posts with a valid token: delete, reset MFA, end sessions, confirm — nothing changes', async () => {
    const { page } = open;
    await page.goto(url(`/admin/accounts/${cast.sysId}`));
    // The sysadmin gets an authenticator app, so "reset MFA" has something to refuse to remove.
    const setup = await cast.server.request('POST', '/api/auth/mfa/totp', { token: cast.sysToken });
    const confirmed = await cast.server.request('POST', '/api/auth/mfa/totp/confirm', { token: cast.sysToken, json: { code: oathtool(setup.body.secret, cast.server.clock.now()) } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const csrf = await tokenOf(page);
    const sessionsBefore = await liveSessions(cast.server, cast.sysId);
    const base = url(`/admin/accounts/${cast.sysId}`);
    expect(await postForm(page, `${base}/delete`, { csrf, confirmation: 'admin@localhost' })).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('you may not change it');
    expect(await postForm(page, `${base}/mfa/reset`, { csrf })).toBe(403);
    expect(await postForm(page, `${base}/sessions/end-all`, { csrf })).toBe(403);
    expect(await postForm(page, `${base}/confirm`, { csrf })).toBe(403);
    const [session] = await cast.server.app.services.sessions.listLive(cast.sysId);
    expect(await postForm(page, `${base}/sessions/end`, { csrf, session: session!.id })).toBe(403);
    expect(await accountIdOf(cast.server, 'admin')).toBe(cast.sysId);
    expect(await liveSessions(cast.server, cast.sysId)).toBe(sessionsBefore);
    expect((await cast.server.app.services.mfa.factors.summary(cast.sysId)).totp).toBe(true);
    expect(await auditEvents(cast.server, 'mfa.reset', cast.sysId)).toEqual([]);
    expect(await auditEvents(cast.server, 'account.deleted', cast.sysId)).toEqual([]);
    // The JSON API answers the admin the same.
    expect((await cast.server.request('DELETE', `/accounts/${cast.sysId}`, { token: cast.carol.accessToken })).status).toBe(403);
  });

});

/** A plain web site on `host`: serves `pages` by path. */
function startSite(host: string): Promise<{ server: Server; origin: string; pages: Map<string, string> }> {
  const pages = new Map<string, string>();
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(pages.get(new URL(request.url ?? '/', 'http://x').pathname) ?? '<h1>nothing here</h1>');
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve({ server, pages, origin: `http://${host}:${(server.address() as { port: number }).port}` })));
}

describe('admin console: cross-site request forgery is refused (Debian chromium)', () => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let open: ConsolePage;
  /** Same site as Gatehouse (127.0.0.1, another port), so a SameSite=Strict cookie rides along; another origin. */
  let sameSite: Awaited<ReturnType<typeof startSite>>;
  /** Another site altogether. */
  let foreign: Awaited<ReturnType<typeof startSite>>;
  let victim: { id: string; email: string };

  beforeAll(async () => {
    sameSite = await startSite('127.0.0.1');
    foreign = await startSite('127.0.0.2');
    cast = await startConsoleServer('sqlite');
    const email = 'victim@example.com';
    await registerAndLogin(cast.server, email, goodPassword);
    victim = { id: (await accountIdOf(cast.server, email))!, email };
    chromium = await launchChromium();
    open = await openPage(chromium);
    await signIn(open.page, cast.server, cast.carol.email);
  });
  afterAll(async () => {
    await open?.context.close();
    await chromium?.close();
    await cast?.server.close();
    sameSite?.server.close();
    foreign?.server.close();
  });
  const deleteUrl = () => `${cast.server.url}/admin/accounts/${victim.id}/delete`;
  const attackPage = (csrf: string) => `<!doctype html><html><body><h1>win a prize</h1><form method="post" action="${deleteUrl()}">
<input name="csrf" value="${csrf}"><input name="confirmation" value="${victim.email}"><button type="submit">Go</button></form></body></html>`;
  const attack = async (site: typeof sameSite) => {
    const answer = open.page.waitForResponse((r) => r.url() === deleteUrl() && r.request().method() === 'POST');
    await open.page.goto(`${site.origin}/`);
    await open.page.getByRole('button', { name: 'Go' }).click();
    const response = await answer;
    await open.page.waitForLoadState();
    return { status: response.status(), headers: await response.request().allHeaders() };
  };

  it('refuses a same-site page of another origin even with the admin’s real form token: the Origin check holds', async () => {
    await open.page.goto(`${cast.server.url}/admin/accounts/${victim.id}`);
    const csrf = await tokenOf(open.page);
    sameSite.pages.set('/', attackPage(csrf));
    const { status, headers } = await attack(sameSite);
    expect(headers.origin).toBe(sameSite.origin);
    // The cookie did ride along (same site), so only the Origin check stood in the way.
    expect(headers.cookie).toContain(`${cast.server.config.cookie.name}=`);
    expect(status).toBe(403);
    expect(await open.page.getByRole('alert').textContent()).toContain('did not come from this console’s own pages');
    expect(await accountIdOf(cast.server, victim.email)).toBe(victim.id);
  });

  it('refuses a foreign site’s post: the browser withholds the cookie, so it reaches the console signed out', async () => {
    foreign.pages.set('/', attackPage('guessed'));
    const { status, headers } = await attack(foreign);
    expect(headers.cookie ?? '').not.toContain(`${cast.server.config.cookie.name}=`);
    expect(status).toBe(401);
    expect(await accountIdOf(cast.server, victim.email)).toBe(victim.id);
  });

  it('refuses a post from its own pages without the session’s form token, or with another one', async () => {
    const { page } = open;
    await page.goto(`${cast.server.url}/admin/accounts/${victim.id}`);
    expect(await postForm(page, deleteUrl(), { confirmation: victim.email })).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('The form is out of date');
    expect(await postForm(page, deleteUrl(), { confirmation: victim.email, csrf: 'A'.repeat(32) })).toBe(403);
    expect(await accountIdOf(cast.server, victim.email)).toBe(victim.id);
    // The real token from the page still works: the refusals were the token's.
    await page.goto(`${cast.server.url}/admin/accounts/${victim.id}`);
    expect(await postForm(page, deleteUrl(), { confirmation: victim.email, csrf: await tokenOf(page) })).toBe(303);
    expect(await accountIdOf(cast.server, victim.email)).toBeNull();
  });
});
