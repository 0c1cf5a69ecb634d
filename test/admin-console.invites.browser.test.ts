/// <reference lib="dom" />
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, sqliteOnly } from './helpers/server.js';
import { auditEvents, BOOTSTRAP_PASSWORD, closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type SysadminConsole } from './helpers/admin-console.js';

/*
 * Invites in the console (issue 19) in Debian's Chromium, on SQLite and PostgreSQL: the unused invites, "Create"
 * answering the codes once (with Copy, and as text without script) that registration then accepts, "Withdraw" behind
 * a confirmation so the code fails — InviteService's calls after the JSON routes' checks (`invites:read`,
 * `invites:write`), audited `invite.created` / `invite.revoked` with the actor. Whether a code works is asked of
 * InviteService.assertUsable, the check every registration makes under signup.inviteOnly (the cast registers without
 * invites, so the server runs without it; test/invites.test.ts registers with codes end to end).
 */
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

describe.each(dialects)('admin console: invites (%s, Debian chromium)', (dialect) => {
  let opened: SysadminConsole;
  let code: string;
  let codeId: string;

  beforeAll(async () => {
    opened = await openSysadminConsole(dialect, {}, 'i', async (cast) => {
      expect((await cast.server.request('POST', '/invites', { token: cast.sysToken, json: { count: 1 } })).status).toBe(201);
    });
  });
  afterAll(async () => closeConsole(opened));
  const url = (path: string) => `${opened.cast.server.url}${path}`;
  const db = () => opened.cast.server.app.services.database.db;
  const unusedIds = async () => (await db().selectFrom('invites').select('id').where('used_at', 'is', null).orderBy('id').execute()).map((row) => row.id);
  const tokenOf = (page: Page) => page.locator('nav input[name="csrf"]').first().inputValue();
  const post = (page: Page, path: string, form: Record<string, string>) => page.request.post(url(path), { form, headers: { origin: opened.cast.server.url } });
  /** Whether registration would accept this invitation code (the check it makes, claiming nothing). */
  const usable = (invite: string) => opened.cast.server.app.services.invites.assertUsable(invite).then(() => true, () => false);
  const onlySqlite = sqliteOnly(dialect);

  it('lists the unused invites by id, never a code', async () => {
    const { page } = opened.sys;
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Invites' }).click();
    await page.waitForURL(url('/admin/invites'));
    expect(await page.locator('h1').textContent()).toBe('Invites');
    expect(await page.locator('#invites tbody th code').allTextContents()).toEqual(await unusedIds());
    expect(await page.locator('#invites tbody td a code').first().textContent()).toBe(opened.cast.sysId);
    await expectAccessible(opened.sys);
  });

  it('creates codes shown once, with Copy, that registration accepts; audited with the actor', async () => {
    const { page, context } = opened.sys;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: opened.cast.server.url });
    const before = await unusedIds();
    await page.goto(url('/admin/invites'));
    await page.locator('#count').fill('3');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === url('/admin/invites') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Create invitation codes' }).click()]);
    expect(answer.status()).toBe(201);
    expect(answer.headers()['cache-control']).toContain('no-store');
    expect(await page.locator('h1').textContent()).toBe('New invitation codes');
    const codes = (await page.locator('#codes').inputValue()).split('\n');
    expect(codes).toHaveLength(3);
    for (const each of codes) expect(each).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const after = await unusedIds();
    expect(after).toHaveLength(before.length + 3);
    const rows = await db().selectFrom('invites').select(['id', 'code_hash']).execute();
    expect(codes.every((each) => rows.some((row) => row.code_hash === sha256(each)))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(codes[0]);

    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.locator('#codes-status').textContent()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join('\n'));
    await expectAccessible(opened.sys);

    const events = await auditEvents(opened.cast.server, 'invite.created', opened.cast.sysId);
    expect(events.at(-1)).toEqual({ by: opened.cast.sysId, count: 3, invites: expect.arrayContaining(after.filter((id) => !before.includes(id))) });
    for (const each of codes) expect(await usable(each)).toBe(true);
    code = codes[1]!;
    codeId = rows.find((row) => row.code_hash === sha256(code))!.id;
    await page.goto(url('/admin/invites'));
    expect(await page.content()).not.toContain(code);
    expect(await page.locator('#invites tbody th code').count()).toBe(before.length + 3);
  });

  it('withdraws one behind a confirmation: its code fails, audited with the actor', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/invites'));
    await page.getByRole('link', { name: `Withdraw invite ${codeId}` }).click();
    await page.waitForURL(url(`/admin/invites/${codeId}/revoke`));
    expect(await page.locator('h1').textContent()).toBe('Withdraw this invite?');
    expect(await unusedIds()).toContain(codeId);
    await expectAccessible(opened.sys);
    await page.getByRole('button', { name: 'Withdraw the invite' }).click();
    await page.waitForURL(url('/admin/invites?done=revoked'));
    expect(await page.getByRole('status').textContent()).toContain('The invite was withdrawn');
    expect(await unusedIds()).not.toContain(codeId);
    expect(await auditEvents(opened.cast.server, 'invite.revoked', opened.cast.sysId)).toEqual([{ by: opened.cast.sysId, invite: codeId }]);
    expect(await usable(code)).toBe(false);
    await expectAccessible(opened.sys);
  });

  // The plain user and the reader hold no invites permission; the reader passes the console's gate (accounts:read).
  for (const who of ['alice', 'reader'] as const) {
    it(`refuses ${who === 'alice' ? 'a plain user' : 'the reader'} the page and every action, even with a real form token`, async () => {
      const { chromium, cast } = opened;
      const before = await unusedIds();
      const open = await openPage(chromium);
      try {
        await signIn(open.page, cast.server, cast[who].email, goodPassword);
        expect((await open.page.goto(url('/admin/invites')))?.status()).toBe(403);
        const refusal = who === 'alice' ? 'Your account holds no permission the admin console needs' : 'This needs the permission invites:read, which your account does not hold.';
        expect(await open.page.getByRole('alert').textContent()).toContain(refusal);
        expect(await open.page.getByRole('link', { name: 'Invites' }).count()).toBe(0);
        const csrf = await tokenOf(open.page);
        expect((await open.page.goto(url(`/admin/invites/${before[0]}/revoke`)))?.status()).toBe(403);
        expect((await post(open.page, '/admin/invites', { csrf, count: '1' })).status()).toBe(403);
        expect((await post(open.page, `/admin/invites/${before[0]}/revoke`, { csrf })).status()).toBe(403);
      } finally {
        await open.context.close();
      }
      expect(await unusedIds()).toEqual(before);
    });
  }

  it('refuses a forged form — no form token or a wrong one — storing and withdrawing nothing', async () => {
    const { page } = opened.sys;
    await page.goto(url('/admin/invites'));
    const before = await unusedIds();
    const csrf = await tokenOf(page);
    for (const form of [{}, { csrf: `${csrf.slice(0, -2)}xx` }] as Array<Record<string, string>>) {
      const created = await post(page, '/admin/invites', { ...form, count: '1' });
      expect(created.status()).toBe(403);
      expect((await created.json()).detail).toBe('form token missing or wrong');
      expect((await post(page, `/admin/invites/${before[0]}/revoke`, form)).status()).toBe(403);
    }
    expect(await unusedIds()).toEqual(before);
  });

  it('answers a bad count or id with a page naming the field, storing nothing', async () => {
    const { page } = opened.sys;
    const before = await unusedIds();
    const audited = (await auditEvents(opened.cast.server, 'invite.created', opened.cast.sysId)).length;
    for (const count of ['0', '101', 'abc', '']) {
      await page.goto(url('/admin/invites'));
      // The form's own field, typed into (a number field takes no letters, so those are set as its value).
      await page.locator('#count').evaluate((input, value) => { (input as HTMLInputElement).type = 'text'; (input as HTMLInputElement).required = false; (input as HTMLInputElement).value = value; }, count);
      const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === url('/admin/invites') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Create invitation codes' }).click()]);
      expect(answer.status(), count).toBe(400);
      expect(await page.getByRole('alert').textContent(), count).toBe('These fields are not valid: count.');
    }
    expect((await page.goto(url('/admin/invites/not-an-invite/revoke')))?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('These fields are not valid: invite.');
    expect((await page.goto(url('/admin/invites?page=0')))?.status()).toBe(400);
    expect(await unusedIds()).toEqual(before);
    expect(await auditEvents(opened.cast.server, 'invite.created', opened.cast.sysId)).toHaveLength(audited);
  });

  onlySqlite('speaks German, and without JavaScript shows a new code as text with no Copy button', async () => {
    const { chromium, cast } = opened;
    const german = await openPage(chromium, { locale: 'de-DE', javaScriptEnabled: false });
    try {
      await signIn(german.page, cast.server, 'admin', BOOTSTRAP_PASSWORD);
      await german.page.goto(url('/admin/invites'));
      expect(await german.page.locator('h1').textContent()).toBe('Einladungen');
      await german.page.getByRole('button', { name: 'Einladungscodes erstellen' }).click();
      await german.page.waitForLoadState();
      expect(await german.page.locator('h1').textContent()).toBe('Neue Einladungscodes');
      expect(await german.page.locator('label[for="codes"]').textContent()).toBe('Einladungscode');
      const fresh = await german.page.locator('#codes').inputValue();
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await german.page.locator('button[data-copy]').isVisible()).toBe(false);
      expect(await usable(fresh)).toBe(true);
    } finally {
      await german.context.close();
    }
  });
});
