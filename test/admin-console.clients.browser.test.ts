/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientSecret } from '../src/config/oidc-client-fields.js';
import { auditEvents, closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type SysadminConsole } from './helpers/admin-console.js';
import { postToProvider } from './helpers/oidc-flow.js';
import { dialects, goodPassword } from './helpers/server.js';

/*
 * Clients in the console (issue 19; CONTRACT §5 "Admin console", "OpenID Connect provider") in Debian's Chromium, on
 * SQLite and PostgreSQL: the list, one client's page, registering an OpenID client whose secret — shown once — works at
 * the provider's token endpoint, a change, rotating the secret (the old one refused at once) and deleting behind
 * confirmations, all through ClientService and audited with the actor; refused to a plain user and to an account that
 * holds only accounts:read. The form's rules, forged posts and the German pages: admin-console.clients-form.browser.test.ts.
 */
describe.each(dialects)('admin console: clients (%s, Debian chromium)', (dialect) => {
  let opened: SysadminConsole;
  let secret = '';

  beforeAll(async () => {
    opened = await openSysadminConsole(dialect, {}, 'cl', async (cast) => {
      const seed = await cast.server.request('POST', '/clients', {
        token: cast.sysToken, json: { clientID: 'shop', callbackURL: 'https://shop.example/cb', name: 'Shop', config: { tokenMethod: ['query', 'cookie'], disableStrategies: ['google', 'saml'] } },
      });
      expect(seed.status, seed.text).toBe(201);
      const web = await cast.server.request('POST', '/clients', {
        token: cast.sysToken,
        json: {
          clientID: 'web-app', callbackURL: 'https://web.example/cb', redirectUris: ['https://web.example/oidc/cb', 'http://localhost:3000/cb'],
          postLogoutRedirectUris: ['https://web.example/bye'], scopes: ['openid', 'email', 'roles'], firstParty: true,
          backchannelLogoutUri: 'https://web.example/backchannel', tokenEndpointAuthMethod: 'client_secret_post',
        },
      });
      expect(web.status, web.text).toBe(201);
    });
  });
  afterAll(async () => closeConsole(opened));
  const url = (path: string) => `${opened.cast.server.url}${path}`;
  const db = () => opened.cast.server.app.services.database.db;
  const stored = (id: string) => db().selectFrom('clients').select(['client_id', 'secret_hash', 'callback_url', 'oidc']).where('client_id', '=', id).executeTakeFirst();
  const clientIds = async () => (await db().selectFrom('clients').select('client_id').orderBy('client_id').execute()).map((row) => row.client_id);
  const grant = (id: string, clientSecret: string) => postToProvider(opened.cast.server, '/oidc/token', { grant_type: 'client_credentials', scope: 'orders:read' }, { id, secret: clientSecret });
  const fact = (page: Page, list: string, term: string) => page.locator(`#${list} dt`, { hasText: term }).locator('xpath=following-sibling::dd[1]').textContent();

  it('lists the clients: clientID, callback URL, login methods, OpenID or not, first party', async () => {
    const { page } = opened.sys;
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Clients' }).click();
    await page.waitForURL(url('/admin/clients'));
    expect(await page.locator('#clients tbody th a').allTextContents()).toEqual(['shop', 'web-app']);
    const row = (id: string) => page.locator('#clients tr', { has: page.locator('th a', { hasText: id }) }).locator('td');
    expect(await row('shop').allTextContents()).toEqual(['Shop', 'https://shop.example/cb', 'all but google, saml', 'no', '—']);
    expect(await row('web-app').allTextContents()).toEqual(['—', 'https://web.example/cb', 'all', 'yes (client_secret_post)', 'yes']);
    await expectAccessible(opened.sys);
  });

  it('shows one client: seed 000’s fields and the OpenID fields, never a secret', async () => {
    const { page } = opened.sys;
    await page.getByRole('link', { name: 'web-app' }).click();
    await page.waitForURL(url('/admin/clients/web-app'));
    expect(await page.locator('h1').textContent()).toBe('web-app');
    expect(await fact(page, 'seed-fields', 'Callback URL')).toBe('https://web.example/cb');
    expect(await fact(page, 'seed-fields', 'Token delivery')).toBe('query');
    expect(await page.locator('#oidc-fields dt', { hasText: /^Redirect URIs/ }).locator('xpath=following-sibling::dd[1]//li').allTextContents())
      .toEqual(['https://web.example/oidc/cb', 'http://localhost:3000/cb']);
    expect(await fact(page, 'oidc-fields', 'Post-logout')).toBe('https://web.example/bye');
    expect(await fact(page, 'oidc-fields', 'Grant types')).toBe('authorization_code, refresh_token');
    expect(await fact(page, 'oidc-fields', 'Token endpoint authentication')).toBe('client_secret_post');
    expect(await page.locator('#oidc-fields dt', { hasText: 'Scopes' }).locator('xpath=following-sibling::dd[1]//li').allTextContents()).toEqual(['openid', 'email', 'roles']);
    expect(await fact(page, 'oidc-fields', 'First party')).toBe('yes');
    expect(await fact(page, 'oidc-fields', 'Back-channel')).toBe('https://web.example/backchannel');
    expect(await fact(page, 'oidc-fields', 'JWK Set URL')).toBe('none');
    expect(await page.locator('main').textContent()).toContain('cannot be shown again');
    expect(await page.locator('#client-secret').count()).toBe(0);
    await page.goto(url('/admin/clients/shop'));
    expect(await fact(page, 'seed-fields', 'Login methods')).toBe('all but google, saml');
    expect(await page.locator('#oidc').locator('xpath=..').textContent()).toContain('Not an OpenID client');
    expect(await page.getByRole('link', { name: 'Rotate the secret…' }).count()).toBe(0);
    await expectAccessible(opened.sys);
    // An unknown client is a 404 page saying so, with the way back.
    const missing = await page.goto(url('/admin/clients/nope'));
    expect(missing?.status()).toBe(404);
    expect(await page.getByRole('alert').textContent()).toBe('There is no such client (any more).');
  });

  it('registers an OpenID client; the secret is shown once, stored hashed, and works at the token endpoint', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/clients'));
    await page.getByRole('link', { name: 'New client' }).click();
    await page.waitForURL(url('/admin/new-client'));
    await expectAccessible(opened.sys);
    await page.locator('#clientID').fill('svc');
    await page.locator('#name').fill('Order service');
    await page.locator('#callbackURL').fill('https://svc.example/cb');
    await page.getByLabel('OpenID client').check();
    await page.locator('input[name=grantTypes][value=authorization_code]').uncheck();
    await page.locator('input[name=grantTypes][value=refresh_token]').uncheck();
    await page.locator('input[name=grantTypes][value=client_credentials]').check();
    await page.locator('#scopes').fill('openid\norders:read\n');
    await page.getByRole('button', { name: 'Register the client' }).click();
    await page.locator('#client-secret').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Client svc registered');
    secret = await page.locator('#client-secret').inputValue();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.locator('#client-secret').getAttribute('readonly')).not.toBeNull();
    // The Copy button is hidden until the console's copy script (a file, under the CSP) shows it.
    expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await expectAccessible(opened.sys);

    const row = await stored('svc');
    expect(row?.secret_hash).toBe(hashClientSecret(secret));
    expect(JSON.parse(row!.oidc!)).toMatchObject({ grantTypes: ['client_credentials'], scopes: ['openid', 'orders:read'], redirectUris: [] });
    const token = await grant('svc', secret);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.access_token).toEqual(expect.any(String));
    expect((await grant('svc', 'not-the-secret')).status).toBe(401);

    // Never again: the client's page, the list and the audit event do not carry it.
    await page.getByRole('link', { name: 'To the client' }).click();
    await page.waitForURL(url('/admin/clients/svc'));
    expect(await page.content()).not.toContain(secret);
    const events = await auditEvents(opened.cast.server, 'client.created', opened.cast.sysId);
    expect(events).toEqual([{ clientID: 'shop', by: opened.cast.sysId, oidc: false, secretIssued: false }, expect.anything(), { clientID: 'svc', by: opened.cast.sysId, oidc: true, secretIssued: true }]);
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it('changes a client, as PUT /clients/{clientID}: the secret kept, audited', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/clients/svc'));
    await page.getByRole('link', { name: 'Change' }).click();
    await page.waitForURL(url('/admin/clients/svc/edit'));
    expect(await page.locator('#clientID').count()).toBe(0);
    expect(await page.locator('#scopes').inputValue()).toBe('openid\norders:read');
    await expectAccessible(opened.sys);
    await page.locator('#callbackURL').fill('https://svc.example/other');
    await page.getByLabel('First party').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(url('/admin/clients/svc?done=saved'));
    expect(await page.getByRole('status').textContent()).toBe('The client was saved.');
    expect(await fact(page, 'seed-fields', 'Callback URL')).toBe('https://svc.example/other');
    expect(await fact(page, 'oidc-fields', 'First party')).toBe('yes');
    expect((await grant('svc', secret)).status).toBe(200);
    expect(await auditEvents(opened.cast.server, 'client.updated', opened.cast.sysId)).toEqual([{ clientID: 'svc', by: opened.cast.sysId, oidc: true, secretIssued: false }]);
  });

  it('rotates the secret behind a confirmation: the new one is shown once and works, the old one is refused', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/clients/svc'));
    await page.getByRole('link', { name: 'Rotate the secret…' }).click();
    await page.waitForURL(url('/admin/clients/svc/secret'));
    expect(await page.locator('h1').textContent()).toBe('Rotate the secret of svc?');
    await expectAccessible(opened.sys);
    // The confirmation page changes nothing.
    expect((await stored('svc'))?.secret_hash).toBe(hashClientSecret(secret));
    await page.getByRole('button', { name: 'Rotate the secret' }).click();
    await page.locator('#client-secret').waitFor();
    expect(await page.locator('h1').textContent()).toBe('New secret for svc');
    expect(await page.locator('p.notice').textContent()).toContain('The previous secret no longer works.');
    const rotated = await page.locator('#client-secret').inputValue();
    expect(rotated).not.toBe(secret);
    const old = await grant('svc', secret);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect((await grant('svc', rotated)).status).toBe(200);
    expect(await auditEvents(opened.cast.server, 'client.secret-rotated', opened.cast.sysId)).toEqual([{ clientID: 'svc', by: opened.cast.sysId }]);
    await expectAccessible(opened.sys);
  });

  it('deletes a client behind a confirmation, audited', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/clients/svc'));
    await page.getByRole('link', { name: 'Delete…' }).click();
    await page.waitForURL(url('/admin/clients/svc/delete'));
    expect(await page.locator('h1').textContent()).toBe('Delete the client svc?');
    expect(await page.locator('main p').first().textContent()).toContain('cannot be undone');
    await expectAccessible(opened.sys);
    expect(await clientIds()).toContain('svc');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(url('/admin/clients/svc'));
    expect(await clientIds()).toContain('svc');
    await page.goto(url('/admin/clients/svc/delete'));
    await page.getByRole('button', { name: 'Delete the client' }).click();
    await page.waitForURL(url('/admin/clients?done=deleted'));
    expect(await page.getByRole('status').textContent()).toBe('The client was deleted.');
    expect(await clientIds()).toEqual(['shop', 'web-app']);
    expect(await page.locator('#clients tbody th a').allTextContents()).toEqual(['shop', 'web-app']);
    expect(await auditEvents(opened.cast.server, 'client.deleted', opened.cast.sysId)).toEqual([{ clientID: 'svc', by: opened.cast.sysId }]);
  });

  it('refuses a plain user the console, clients included', async () => {
    const { chromium, cast } = opened;
    const alice = await openPage(chromium);
    try {
      await signIn(alice.page, cast.server, cast.alice.email, goodPassword);
      const refused = await alice.page.goto(url('/admin/clients'));
      expect(refused?.status()).toBe(403);
      expect(await alice.page.getByRole('alert').textContent()).toContain('holds no permission the admin console needs');
    } finally {
      await alice.context.close();
    }
  });

  it('refuses an account with only accounts:read the pages and the changes — even with its real form token', async () => {
    const { chromium, cast } = opened;
    const reader = await openPage(chromium);
    try {
      await signIn(reader.page, cast.server, cast.reader.email, goodPassword);
      expect(await reader.page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Clients' }).count()).toBe(0);
      const csrf = await reader.page.locator('nav input[name="csrf"]').first().inputValue();
      const pages = [['/admin/clients', 'clients:read'], ['/admin/clients/shop', 'clients:read'], ['/admin/new-client', 'clients:write'], ['/admin/clients/shop/delete', 'clients:write']];
      for (const [path, permission] of pages) {
        const answer = await reader.page.goto(url(path!));
        expect(answer?.status(), path).toBe(403);
        expect(await reader.page.getByRole('alert').textContent()).toBe(`This needs the permission ${permission}, which your account does not hold.`);
      }
      await expectAccessible(reader);
      const before = await db().selectFrom('clients').selectAll().orderBy('client_id').execute();
      const headers = { origin: cast.server.url };
      const posts: Array<[string, Record<string, string>]> = [
        ['/admin/clients', { csrf, clientID: 'sneaky', callbackURL: 'https://sneaky.example/cb', tokenMethod: 'query' }],
        ['/admin/clients/shop', { csrf, callbackURL: 'https://sneaky.example/cb', tokenMethod: 'query' }],
        ['/admin/clients/web-app/secret', { csrf }],
        ['/admin/clients/shop/delete', { csrf }],
      ];
      for (const [path, form] of posts) expect((await reader.page.request.post(url(path), { form, headers })).status(), path).toBe(403);
      expect(await db().selectFrom('clients').selectAll().orderBy('client_id').execute()).toEqual(before);
    } finally {
      await reader.context.close();
    }
  }, 60_000);
});
