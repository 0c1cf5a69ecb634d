/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, sqliteOnly } from './helpers/server.js';
import { auditEvents, BOOTSTRAP_PASSWORD, closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type SysadminConsole } from './helpers/admin-console.js';

/*
 * API keys in the console (issue 19) in Debian's Chromium, on SQLite and PostgreSQL: the list of API-key accounts,
 * "Create" answering the token once (with Copy, and as text without script) that then authenticates a bearer request,
 * "Revoke" behind a confirmation deleting the key's account so the token fails — each the AccountAdminService call of
 * the JSON route, so refused without its permission (a plain user, the `reader`) and without the form token.
 */
describe.each(dialects)('admin console: API keys (%s, Debian chromium)', (dialect) => {
  let opened: SysadminConsole;
  let listedKeyId: string;
  let createdToken: string;
  let createdId: string;

  beforeAll(async () => {
    opened = await openSysadminConsole(dialect, {}, 'k', async (cast) => {
      const key = await cast.server.request('POST', '/accounts/create-anonymous', { token: cast.sysToken });
      expect(key.status, key.text).toBe(201);
      listedKeyId = key.body.accountID;
    });
  });
  afterAll(async () => closeConsole(opened));
  const url = (path: string) => `${opened.cast.server.url}${path}`;
  const db = () => opened.cast.server.app.services.database.db;
  const apiKeyIds = async () => (await db().selectFrom('accounts').select('id').where('type', '=', 'apikey').orderBy('id').execute()).map((row) => row.id);
  const usernameOf = async (id: string) => (await db().selectFrom('accounts').select('username').where('id', '=', id).executeTakeFirstOrThrow()).username;
  /** What the API answers a bearer of `token` asking for its own account. */
  const bearerStatus = async (token: string, accountId: string) => (await opened.cast.server.request('GET', `/accounts/${accountId}`, { token })).status;
  const tokenOf = (page: Page) => page.locator('nav input[name="csrf"]').first().inputValue();
  const post = (page: Page, path: string, form: Record<string, string>) => page.request.post(url(path), { form, headers: { origin: opened.cast.server.url } });
  const onlySqlite = sqliteOnly(dialect);

  it('lists the API-key accounts, linked to their account pages, and no person', async () => {
    const { page } = opened.sys;
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(url('/admin/api-keys'));
    expect(await page.locator('h1').textContent()).toBe('API keys');
    const name = await usernameOf(listedKeyId);
    expect(await page.locator('#api-keys tbody th a').allTextContents()).toEqual([name]);
    expect(await page.locator('#api-keys tbody th a').getAttribute('href')).toBe(`/admin/accounts/${listedKeyId}`);
    expect(await page.locator('main').textContent()).not.toContain(opened.cast.alice.email);
    await expectAccessible(opened.sys);
  });

  it('creates one: the token is shown once, copies to the clipboard, authenticates, and is audited with the actor', async () => {
    const { page, context } = opened.sys;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: opened.cast.server.url });
    const before = await apiKeyIds();
    await page.goto(url('/admin/api-keys'));
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === url('/admin/api-keys') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Create an API key' }).click()]);
    expect(answer.status()).toBe(201);
    expect(answer.headers()['cache-control']).toContain('no-store');
    expect(await page.locator('h1').textContent()).toBe('New API key');
    createdToken = await page.locator('#token').inputValue();
    expect(createdToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const after = await apiKeyIds();
    expect(after).toHaveLength(before.length + 1);
    createdId = after.find((id) => !before.includes(id))!;
    expect(await page.getByRole('link', { name: `Its account: ${await usernameOf(createdId)}` }).getAttribute('href')).toBe(`/admin/accounts/${createdId}`);

    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.locator('#token-status').textContent()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(createdToken);
    await expectAccessible(opened.sys);

    expect(await bearerStatus(createdToken, createdId)).toBe(200);
    expect(await auditEvents(opened.cast.server, 'account.registered', createdId)).toEqual([{ type: 'apikey', by: opened.cast.sysId }]);
    // Never again: not on the list, not stored.
    await page.goto(url('/admin/api-keys'));
    expect(await page.content()).not.toContain(createdToken);
    expect(await page.locator('#api-keys tbody th a').count()).toBe(2);
    const stored = JSON.stringify(await db().selectFrom('sessions').selectAll().where('account_id', '=', createdId).execute());
    expect(stored).not.toContain(createdToken);
  });

  it('revokes one behind a confirmation: its account is deleted, the token fails, audited with the actor', async () => {
    const { page } = opened.sys;
    const name = await usernameOf(createdId);
    await page.goto(url('/admin/api-keys'));
    await page.getByRole('link', { name: `Revoke ${name}` }).click();
    await page.waitForURL(url(`/admin/api-keys/${createdId}/revoke`));
    expect(await page.locator('h1').textContent()).toBe(`Revoke ${name}?`);
    expect(await apiKeyIds()).toContain(createdId);
    expect(await bearerStatus(createdToken, createdId)).toBe(200);
    await expectAccessible(opened.sys);
    await page.getByRole('button', { name: 'Revoke the API key' }).click();
    await page.waitForURL(url('/admin/api-keys?done=revoked'));
    expect(await page.getByRole('status').textContent()).toContain('The API key was revoked');
    expect(await apiKeyIds()).not.toContain(createdId);
    expect(await page.locator('#api-keys tbody th a').allTextContents()).toEqual([await usernameOf(listedKeyId)]);
    expect(await bearerStatus(createdToken, createdId)).toBe(401);
    expect(await auditEvents(opened.cast.server, 'account.deleted', createdId)).toEqual([{ by: opened.cast.sysId }]);
    await expectAccessible(opened.sys);
  });

  it('refuses a plain user the page', async () => {
    const { chromium, cast } = opened;
    const alice = await openPage(chromium);
    try {
      await signIn(alice.page, cast.server, cast.alice.email, goodPassword);
      expect((await alice.page.goto(url('/admin/api-keys')))?.status()).toBe(403);
      expect(await alice.page.getByRole('alert').textContent()).toContain('holds no permission the admin console needs');
      expect((await post(alice.page, '/admin/api-keys', { csrf: await tokenOf(alice.page) })).status()).toBe(403);
    } finally {
      await alice.context.close();
    }
  });

  it('shows the reader (accounts:read only) the list, and refuses it creating and revoking, even with its real form token', async () => {
    const { chromium, cast } = opened;
    const reader = await openPage(chromium);
    try {
      await signIn(reader.page, cast.server, cast.reader.email, goodPassword);
      await reader.page.goto(url('/admin/api-keys'));
      expect(await reader.page.locator('#api-keys tbody th a').count()).toBe(1);
      expect(await reader.page.getByRole('button', { name: 'Create an API key' }).count()).toBe(0);
      expect(await reader.page.getByRole('link', { name: /^Revoke / }).count()).toBe(0);
      const before = await apiKeyIds();
      const csrf = await tokenOf(reader.page);
      const created = await post(reader.page, '/admin/api-keys', { csrf });
      expect(created.status()).toBe(403);
      expect((await created.json()).detail).toBe('requires permission accounts:create-anonymous');
      expect((await reader.page.goto(url(`/admin/api-keys/${listedKeyId}/revoke`)))?.status()).toBe(403);
      expect((await post(reader.page, `/admin/api-keys/${listedKeyId}/revoke`, { csrf })).status()).toBe(403);
      expect(await apiKeyIds()).toEqual(before);
    } finally {
      await reader.context.close();
    }
  });

  it('refuses a forged form — no form token or a wrong one — storing and deleting nothing', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/api-keys'));
    const before = await apiKeyIds();
    const csrf = await tokenOf(page);
    const wrong = `${csrf.slice(0, -2)}xx`;
    for (const form of [{}, { csrf: wrong }] as Array<Record<string, string>>) {
      expect((await post(page, '/admin/api-keys', form)).status()).toBe(403);
      const revoke = await post(page, `/admin/api-keys/${listedKeyId}/revoke`, form);
      expect(revoke.status()).toBe(403);
      expect((await revoke.json()).detail).toBe('form token missing or wrong');
    }
    expect(await apiKeyIds()).toEqual(before);
  });

  it('answers bad input with a page naming the field, and revokes no person through this page', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/api-keys'));
    const csrf = await tokenOf(page);
    const before = await apiKeyIds();
    const malformed = await page.goto(url('/admin/api-keys/not-a-key/revoke'));
    expect(malformed?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('These fields are not valid: id.');
    expect((await page.goto(url('/admin/api-keys?after=%2Fetc')))?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('These fields are not valid: after.');
    const extra = await post(page, '/admin/api-keys', { csrf, permissions: '*' });
    expect(extra.status()).toBe(400);
    // A person's id is not an API key: 404 on the confirmation and the post, and the person stays.
    expect((await page.goto(url(`/admin/api-keys/${opened.cast.alice.userId}/revoke`)))?.status()).toBe(404);
    expect((await post(page, `/admin/api-keys/${opened.cast.alice.userId}/revoke`, { csrf })).status()).toBe(404);
    expect(await db().selectFrom('accounts').select('id').where('id', '=', opened.cast.alice.userId).executeTakeFirst()).toBeDefined();
    expect(await apiKeyIds()).toEqual(before);
  });

  onlySqlite('speaks German, and without JavaScript shows the token as text with no Copy button', async () => {
    const { chromium, cast } = opened;
    const german = await openPage(chromium, { locale: 'de-DE', javaScriptEnabled: false });
    try {
      await signIn(german.page, cast.server, 'admin', BOOTSTRAP_PASSWORD);
      await german.page.goto(url('/admin/api-keys'));
      expect(await german.page.locator('h1').textContent()).toBe('API-Schlüssel');
      expect(await german.page.locator('#api-keys caption').textContent()).toBe('API-Schlüssel, älteste zuerst');
      await german.page.getByRole('button', { name: 'API-Schlüssel erstellen' }).click();
      await german.page.waitForLoadState();
      expect(await german.page.locator('h1').textContent()).toBe('Neuer API-Schlüssel');
      const token = await german.page.locator('#token').inputValue();
      expect(await german.page.locator('#token').getAttribute('readonly')).not.toBeNull();
      expect(await german.page.locator('button[data-copy]').isVisible()).toBe(false);
      const accountId = (await german.page.getByRole('link', { name: /^Sein Konto:/ }).getAttribute('href'))!.split('/').pop()!;
      expect(await bearerStatus(token, accountId)).toBe(200);
    } finally {
      await german.context.close();
    }
  });
});
