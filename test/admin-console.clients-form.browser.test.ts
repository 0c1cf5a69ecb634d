/// <reference lib="dom" />
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientSecret } from '../src/config/oidc-client-fields.js';
import { BOOTSTRAP_PASSWORD, closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type ConsolePage, type SysadminConsole } from './helpers/admin-console.js';
import { dialects, goodPassword, sqliteOnly } from './helpers/server.js';

/*
 * The console's client form against ClientService's rules (issue 19), in Debian's Chromium on SQLite and PostgreSQL:
 * a forged post (form token missing or wrong) is refused and stores nothing; a bad field comes back named next to the
 * field with nothing stored; an `admin` cannot give a client a permission she does not hold, nor change or re-key a
 * client that has one; the pages in German. The central flows: admin-console.clients.browser.test.ts.
 */
describe.each(dialects)('admin console: the client form’s rules (%s, Debian chromium)', (dialect) => {
  let opened: SysadminConsole;
  const onSqlite = sqliteOnly(dialect);

  beforeAll(async () => {
    opened = await openSysadminConsole(dialect, {}, 'cf', async (cast) => {
      const svc = await cast.server.request('POST', '/clients', {
        token: cast.sysToken, json: { clientID: 'orders', callbackURL: 'https://orders.example/cb', grantTypes: ['client_credentials'], scopes: ['orders:read'] },
      });
      expect(svc.status, svc.text).toBe(201);
    });
  });
  afterAll(async () => closeConsole(opened));
  const url = (path: string) => `${opened.cast.server.url}${path}`;
  const db = () => opened.cast.server.app.services.database.db;
  const everyClient = () => db().selectFrom('clients').selectAll().orderBy('client_id').execute();
  const csrfOf = (page: Page) => page.locator('nav input[name="csrf"]').first().inputValue();
  /** Clicks the form's submit button and answers the post's response. */
  const submit = async (page: Page, name: string): Promise<Response> => {
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name }).click()]);
    await page.waitForLoadState();
    return response;
  };
  const fillNew = async (page: Page, id: string, lines: { redirectUris?: string; scopes?: string } = {}) => {
    await page.goto(url('/admin/new-client'));
    await page.locator('#clientID').fill(id);
    await page.locator('#callbackURL').fill(`https://${id}.example/cb`);
    await page.locator('input[name=oidc]').check();
    if (lines.redirectUris !== undefined) await page.locator('#redirectUris').fill(lines.redirectUris);
    if (lines.scopes !== undefined) await page.locator('#scopes').fill(lines.scopes);
  };

  it('refuses a post without the form token or with a wrong one, storing and rotating nothing', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/clients'));
    const csrf = await csrfOf(page);
    const before = await everyClient();
    const headers = { origin: opened.cast.server.url };
    const create = { clientID: 'forged', callbackURL: 'https://forged.example/cb', tokenMethod: 'query' };
    for (const token of [undefined, 'x'.repeat(csrf.length), `${csrf}x`]) {
      const form: Record<string, string> = token === undefined ? {} : { csrf: token };
      expect((await page.request.post(url('/admin/clients'), { form: { ...form, ...create }, headers })).status()).toBe(403);
      expect((await page.request.post(url('/admin/clients/orders'), { form: { ...form, callbackURL: 'https://forged.example/cb' }, headers })).status()).toBe(403);
      expect((await page.request.post(url('/admin/clients/orders/secret'), { form, headers })).status()).toBe(403);
      expect((await page.request.post(url('/admin/clients/orders/delete'), { form, headers })).status()).toBe(403);
    }
    expect(await everyClient()).toEqual(before);
    // The same post with the real token goes through: the refusals above were the token's.
    expect((await page.request.post(url('/admin/clients'), { form: { csrf, ...create }, headers, maxRedirects: 0 })).status()).toBe(303);
    expect((await everyClient()).map((client) => client.client_id)).toContain('forged');
  });

  it('answers hand-made odd input with a 400 naming the field, stores nothing; a secretless rotation is a 409', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/clients'));
    const csrf = await csrfOf(page);
    const before = await everyClient();
    const headers = { origin: opened.cast.server.url };
    const unknownField = await page.request.post(url('/admin/clients'), { form: { csrf, clientID: 'odd', callbackURL: 'https://odd.example/cb', tokenMethod: 'query', evil: '1' }, headers });
    expect(unknownField.status()).toBe(400);
    expect(await unknownField.text()).toContain('<p class="error" role="alert">These fields are not valid: evil.</p>');
    const tooLong = await page.request.post(url('/admin/clients'), { form: { csrf, clientID: 'x'.repeat(1025), callbackURL: 'https://odd.example/cb' }, headers });
    expect(tooLong.status()).toBe(400);
    expect(await tooLong.text()).toContain('<span id="clientID-error" class="field-error">These fields are not valid: clientID. must be 1 to 128');
    const control = await page.request.get(url('/admin/clients/a%00b'), { headers: { accept: 'application/json' } });
    expect(control.status()).toBe(400);
    expect((await control.json()).errors).toEqual([expect.objectContaining({ field: 'clientID' })]);
    // `forged` (a seed-000 client made by the test before) has no secret: no Rotate, and a hand-made one is a 409.
    await page.goto(url('/admin/clients/forged'));
    expect(await page.getByRole('link', { name: 'Rotate the secret…' }).count()).toBe(0);
    expect((await page.request.post(url('/admin/clients/forged/secret'), { form: { csrf }, headers })).status()).toBe(409);
    expect(await everyClient()).toEqual(before);
    // 20 redirect URIs of 1 KB are over the console's 16 KiB form limit, which the client form raises.
    const redirectUris = Array.from({ length: 20 }, (_, i) => `https://long.example/${i}/${'a'.repeat(1000)}`).join('\n');
    const form = { csrf, clientID: 'long', callbackURL: 'https://long.example/cb', tokenMethod: 'query', oidc: 'on', redirectUris, grantTypes: 'authorization_code', tokenEndpointAuthMethod: 'none', scopes: 'openid' };
    expect((await page.request.post(url('/admin/clients'), { form, headers, maxRedirects: 0 })).status()).toBe(303);
    const long = await db().selectFrom('clients').select('oidc').where('client_id', '=', 'long').executeTakeFirstOrThrow();
    expect(JSON.parse(long.oidc!).redirectUris).toHaveLength(20);
  });

  it('a change that makes a client authenticate with a secret shows it once; unticking OpenID removes it', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/clients/forged/edit'));
    await page.locator('input[name=oidc]').check();
    await page.locator('#redirectUris').fill('https://forged.example/oidc');
    expect((await submit(page, 'Save')).status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Client forged saved');
    const secret = await page.locator('#client-secret').inputValue();
    const hash = async () => (await db().selectFrom('clients').select('secret_hash').where('client_id', '=', 'forged').executeTakeFirstOrThrow()).secret_hash;
    expect(await hash()).toBe(hashClientSecret(secret));
    await page.goto(url('/admin/clients/forged/edit'));
    await page.locator('input[name=oidc]').uncheck();
    expect((await submit(page, 'Save')).status()).toBe(303);
    await page.waitForURL(url('/admin/clients/forged?done=saved'));
    expect(await page.locator('#oidc').locator('xpath=..').textContent()).toContain('Not an OpenID client');
    expect(await hash()).toBeNull();
  });

  it('names a redirect URI that is not a URL next to its field, keeps what was typed, stores nothing', async () => {
    const { page } = opened.sys;
    const before = await everyClient();
    await fillNew(page, 'bad-uri', { redirectUris: 'https://bad-uri.example/cb\nnot a url' });
    const response = await submit(page, 'Register the client');
    expect(response.status()).toBe(400);
    expect(await page.locator('#redirectUris-error').textContent()).toBe('Line 2 (not a url): must not contain spaces or control characters');
    expect(await page.locator('#redirectUris').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').textContent()).toBe('Please correct: Redirect URIs (redirectUris).');
    expect(await page.locator('#redirectUris').inputValue()).toBe('https://bad-uri.example/cb\nnot a url');
    expect(await page.locator('#clientID').inputValue()).toBe('bad-uri');
    expect(await page.locator('input[name=oidc]').isChecked()).toBe(true);
    expect(await everyClient()).toEqual(before);
    await expectAccessible(opened.sys);
  });

  onSqlite('names every field the rules refuse at once — clientID, scheme, JWK Set — then the combination, then a taken clientID', async () => {
    const { page } = opened.sys;
    const before = await everyClient();
    await fillNew(page, 'orders', { redirectUris: 'http://evil.example/cb' });
    await page.locator('#clientID').fill('bad id!');
    await page.locator('#jwks').fill('{not json');
    expect((await submit(page, 'Register the client')).status()).toBe(400);
    expect(await page.locator('#clientID-error').textContent()).toContain('must be 1 to 128 letters, digits');
    expect(await page.locator('#redirectUris-error').textContent()).toBe('Line 1 (http://evil.example/cb): must be an https:// URL (http:// only on a loopback host: localhost, 127.0.0.0/8, [::1])');
    expect(await page.locator('#jwks-error').textContent()).toBe('is not a JSON object ({"keys": [...]})');
    expect(await page.getByRole('alert').textContent()).toBe('Please correct: JWK Set (jwks, optional; private_key_jwt), clientID, Redirect URIs (redirectUris).');
    await page.locator('#clientID').fill('orders');
    await page.locator('#jwks').fill('');
    await page.locator('#redirectUris').fill('https://orders.example/oidc');
    await page.locator('input[name=grantTypes][value=authorization_code]').uncheck();
    expect((await submit(page, 'Register the client')).status()).toBe(400);
    expect(await page.locator('#grantTypes-error').textContent()).toBe('refresh_token needs authorization_code (refresh tokens come from a sign-in)');
    await page.locator('input[name=grantTypes][value=authorization_code]').check();
    expect((await submit(page, 'Register the client')).status()).toBe(409);
    expect(await page.locator('#clientID-error').textContent()).toBe('is already registered');
    expect(await everyClient()).toEqual(before);
    await expectAccessible(opened.sys);
  });

  it('an admin cannot give a client a permission she does not hold, nor change or re-key a client that has one', async () => {
    const { chromium, cast } = opened;
    const carol = await openPage(chromium);
    try {
      await signIn(carol.page, cast.server, cast.carol.email, goodPassword);
      const { page } = carol;
      const before = await everyClient();
      await page.goto(url('/admin/new-client'));
      await page.locator('#clientID').fill('escalate');
      await page.locator('#callbackURL').fill('https://escalate.example/cb');
      await page.locator('input[name=oidc]').check();
      await page.locator('input[name=grantTypes][value=authorization_code]').uncheck();
      await page.locator('input[name=grantTypes][value=refresh_token]').uncheck();
      await page.locator('input[name=grantTypes][value=client_credentials]').check();
      await page.locator('#scopes').fill('openid\norders:read\nclients:read');
      const refused = await submit(page, 'Register the client');
      expect(refused.status()).toBe(403);
      expect(await page.locator('#scopes-error').textContent()).toBe('You do not hold these permissions, so you cannot give them to a client: orders:read.');
      expect(await everyClient()).toEqual(before);
      await expectAccessible(carol);
      // Without it (clients:read she holds, through the role admin), the same client is registered.
      await page.locator('#scopes').fill('openid\nclients:read');
      const created = await submit(page, 'Register the client');
      expect(created.status()).toBe(201);
      expect(await page.locator('#client-secret').inputValue()).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // The sysadmin's client allows orders:read: carol may look, not change it or rotate its secret.
      await page.goto(url('/admin/clients/orders'));
      expect(await page.getByRole('note').textContent()).toContain('may ask for permissions you do not hold (orders:read)');
      expect(await page.getByRole('link', { name: 'Change' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Rotate the secret…' }).count()).toBe(0);
      expect((await page.goto(url('/admin/clients/orders/edit')))?.status()).toBe(403);
      const stored = await db().selectFrom('clients').selectAll().where('client_id', '=', 'orders').executeTakeFirst();
      const csrf = await csrfOf(page);
      const headers = { origin: cast.server.url };
      expect((await page.request.post(url('/admin/clients/orders/secret'), { form: { csrf }, headers })).status()).toBe(403);
      const change = await page.request.post(url('/admin/clients/orders'), { form: { csrf, callbackURL: 'https://orders.example/cb', tokenMethod: 'query' }, headers });
      expect(change.status()).toBe(403);
      expect(await db().selectFrom('clients').selectAll().where('client_id', '=', 'orders').executeTakeFirst()).toEqual(stored);
    } finally {
      await carol.context.close();
    }
  });

  onSqlite('speaks German: list, form, a refusal, a confirmation', async () => {
    const de: ConsolePage = await openPage(opened.chromium, { locale: 'de-DE' });
    try {
      const { page } = de;
      await signIn(page, opened.cast.server, 'admin', BOOTSTRAP_PASSWORD);
      await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Clients' }).click();
      await page.waitForURL(url('/admin/clients'));
      expect(await page.locator('#clients caption').textContent()).toBe('Registrierte Clients, nach clientID');
      expect(await page.locator('#clients thead th').allTextContents()).toEqual(['clientID', 'Name', 'Callback-URL', 'Anmeldemethoden', 'OpenID', 'Eigene Anwendung']);
      await expectAccessible(de);
      await page.getByRole('link', { name: 'Neuer Client' }).click();
      expect(await page.locator('label[for=redirectUris]').textContent()).toBe('Weiterleitungs-URIs (redirectUris)');
      await page.locator('#clientID').fill('de-app');
      await page.locator('#callbackURL').fill('https://de.example/cb');
      await page.locator('input[name=oidc]').check();
      await page.locator('#redirectUris').fill('keine url');
      expect((await submit(page, 'Client registrieren')).status()).toBe(400);
      expect(await page.getByRole('alert').textContent()).toBe('Bitte korrigieren: Weiterleitungs-URIs (redirectUris).');
      expect(await page.locator('#redirectUris-error').textContent()).toMatch(/^Zeile 1 \(keine url\): /);
      await expectAccessible(de);
      await page.goto(url('/admin/clients/orders/secret'));
      expect(await page.locator('h1').textContent()).toBe('Geheimnis von orders erneuern?');
      expect(await page.getByRole('button', { name: 'Geheimnis erneuern' }).count()).toBe(1);
      await expectAccessible(de);
    } finally {
      await de.context.close();
    }
  });
}, 60_000); // signing in a second person in Chromium takes a while on a busy machine
