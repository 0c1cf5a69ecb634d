/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './helpers/chromium.js';
import { dialects } from './helpers/server.js';
import { BOOTSTRAP_PASSWORD, closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * The console's account list (issue 19 item 2) in Debian's Chromium, on SQLite and PostgreSQL: keyset pages (the
 * `after` cursor of GET /accounts, no offset), search by the start of an e-mail or user name, the filters, the keyboard,
 * a phone's width, axe-core.
 */

/** Filler accounts beyond the cast, so the list has a second page (50 a page). */
const FILLERS = 57;

describe.each(dialects)('admin console: the account list (%s, Debian chromium)', (dialect) => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let open: ConsolePage;
  /** Every account's id in list order (created_at, id). */
  let order: string[];

  beforeAll(async () => {
    ({ cast, chromium, sys: open } = await openSysadminConsole(dialect, {}, 'c', async (prepared) => {
      const { accounts } = prepared.server.app.services;
      for (let i = 1; i <= FILLERS; i++) {
        prepared.server.clock.advance(1000);
        const type = i % 10 === 0 ? 'guest' : 'user';
        await accounts.createAccount({ username: `filler-${i}`, email: type === 'user' ? `filler-${i}@example.org` : null, type, confirmed: i % 7 !== 0 });
      }
      // Enough confirmed people for a second page of `type=user&confirmed=yes`.
      for (let i = 1; i <= 6; i++) await accounts.createAccount({ username: `extra-${i}`, email: `extra-${i}@example.org`, type: 'user', confirmed: true });
      await accounts.createAccount({ username: 'nickname', email: 'Zed.Person@example.org', type: 'user', confirmed: true });
      await accounts.createAccount({ username: 'percent%_user', email: null, type: 'apikey', confirmed: true });
      const db = prepared.server.app.services.database.db;
      order = (await db.selectFrom('accounts').select('id').orderBy('created_at').orderBy('id').execute()).map((row) => row.id);
    }));
  });
  afterAll(async () => closeConsole({ cast, chromium, sys: open }));
  const url = (path: string) => `${cast.server.url}${path}`;
  /** The account ids of the rows on the page, in order. */
  const rowIds = () => open.page.locator('tbody th[scope="row"] a').evaluateAll((links) => links.map((a) => a.getAttribute('href')!.split('/').pop()!));
  const rowNames = () => open.page.locator('tbody th[scope="row"] a').allTextContents();
  const filter = async (fields: { q?: string; group?: string; role?: string; type?: string; confirmed?: string }) => {
    const { page } = open;
    await page.goto(url('/admin/accounts'));
    if (fields.q !== undefined) await page.locator('#filter-q').fill(fields.q);
    for (const name of ['group', 'role', 'type', 'confirmed'] as const) {
      if (fields[name] !== undefined) await page.locator(`#filter-${name}`).selectOption(fields[name]!);
    }
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/accounts' && u.search.length > 0);
  };

  it('pages through every account by the keyset cursor: 50, then the rest, none twice, none left out', async () => {
    const { page } = open;
    await page.goto(url('/admin/accounts'));
    const first = await rowIds();
    expect(first).toEqual(order.slice(0, 50));
    await expectAccessible(open);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL((u) => u.searchParams.has('after'));
    expect(new URL(page.url()).searchParams.has('page')).toBe(false);
    expect(await rowIds()).toEqual(order.slice(50));
    expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
    expect(await page.locator('caption').textContent()).toBe('Accounts, oldest first, continued');
    await page.getByRole('link', { name: 'First page' }).click();
    await page.waitForURL(url('/admin/accounts'));
    expect(await rowIds()).toEqual(first);
  });

  it('searches by the start of an e-mail or a user name, case-insensitive, with % and _ taken literally', async () => {
    await filter({ q: 'filler-5' });
    expect((await rowNames()).sort()).toEqual(['filler-5@example.org', 'filler-50', 'filler-51@example.org', 'filler-52@example.org', 'filler-53@example.org', 'filler-54@example.org', 'filler-55@example.org', 'filler-56@example.org', 'filler-57@example.org'].sort());
    expect(await open.page.locator('#filter-q').inputValue()).toBe('filler-5');
    await filter({ q: 'NICK' });
    expect(await rowNames()).toEqual(['Zed.Person@example.org']);
    await filter({ q: 'zed.p' });
    expect(await rowNames()).toEqual(['Zed.Person@example.org']);
    await filter({ q: 'percent%_' });
    expect(await rowNames()).toEqual(['percent%_user']);
    await filter({ q: '%' });
    expect(await open.page.getByRole('status').textContent()).toBe('No account matches.');
    await filter({ q: 'filler_1' });
    expect(await rowNames()).toEqual([]);
    await expectAccessible(open);
  });

  it('filters by type, confirmation, role and group, and keeps the filters on the next page', async () => {
    await filter({ type: 'guest' });
    expect((await rowNames()).sort()).toEqual(['filler-10', 'filler-20', 'filler-30', 'filler-40', 'filler-50']);
    await filter({ confirmed: 'no' });
    expect((await rowNames()).sort()).toEqual(['filler-14@example.org', 'filler-21@example.org', 'filler-28@example.org', 'filler-35@example.org', 'filler-42@example.org', 'filler-49@example.org', 'filler-56@example.org', 'filler-7@example.org'].sort());
    await filter({ role: 'admin' });
    expect(await rowNames()).toEqual([cast.carol.email]);
    await filter({ role: 'sysadmin' });
    expect(await rowNames()).toEqual(['admin@localhost']);
    // The sysadmin may read groups, so the group filter lists them by name.
    expect(await open.page.locator('#filter-group option').allTextContents()).toEqual(['any', 'readers']);
    await filter({ group: 'readers' });
    expect(await rowNames()).toEqual([cast.reader.email]);
    await filter({ type: 'user', confirmed: 'yes' });
    expect((await rowIds()).length).toBe(50);
    await open.page.getByRole('link', { name: 'Next page' }).click();
    await open.page.waitForURL((u) => u.searchParams.has('after'));
    const next = new URL(open.page.url()).searchParams;
    expect([next.get('type'), next.get('confirmed')]).toEqual(['user', 'yes']);
    expect(await open.page.locator('#filter-type').inputValue()).toBe('user');
    const db = cast.server.app.services.database.db;
    const expected = await db.selectFrom('accounts').select('id').where('type', '=', 'user').where('confirmed', '=', 1).execute();
    expect((await rowIds()).length).toBe(expected.length - 50);
  });

  it('is usable by keyboard: Tab reaches the filters and every account link, Enter opens one', async () => {
    const { page } = open;
    await page.goto(url('/admin/accounts'));
    const visited: string[] = [];
    for (let i = 0; i < 20 && !visited.some((v) => v.startsWith('/admin/accounts/')); i++) {
      await page.keyboard.press('Tab');
      visited.push(await page.evaluate(() => {
        const active = document.activeElement as HTMLElement | null;
        return active?.getAttribute('href') ?? active?.id ?? active?.tagName ?? '';
      }));
    }
    expect(visited).toContain('filter-q');
    expect(visited).toContain('filter-confirmed');
    const link = visited.find((v) => v.startsWith('/admin/accounts/'))!;
    expect(link).toBe(`/admin/accounts/${order[0]}`);
    await page.keyboard.press('Enter');
    await page.waitForURL(url(link));
    expect(await page.locator('#profile').textContent()).toBe('Profile');
  });

  it('fits a 375-pixel phone: nothing scrolls sideways, each cell names its column', async () => {
    const phone = await openPage(chromium, { viewport: { width: 375, height: 740 } });
    try {
      await signIn(phone.page, cast.server, 'admin', BOOTSTRAP_PASSWORD);
      await phone.page.goto(url('/admin/accounts'));
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const label = await phone.page.locator('tbody td').first().evaluate((cell) => getComputedStyle(cell, '::before').content);
      expect(label).toBe('"Type"');
      await screenshot(phone.page, `admin-accounts-phone-${dialect}`);
      await expectAccessible(phone);
    } finally {
      await phone.context.close();
    }
  });

  it('answers a malformed cursor or filter with a 400 page naming the field, and problem+json to an API caller', async () => {
    const { page } = open;
    const bad = await page.goto(url('/admin/accounts?after=bm90LWEtY3Vyc29y'));
    expect(bad?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('after');
    const type = await page.goto(url('/admin/accounts?type=robot'));
    expect(type?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('type');
    await expectAccessible(open);
    const unknown = await page.request.get(url('/admin/accounts?page=2'), { headers: { accept: 'application/json' } });
    expect(unknown.status()).toBe(400);
    expect((await unknown.json()).errors.map((e: { field: string }) => e.field)).toContain('page');
  });
});
