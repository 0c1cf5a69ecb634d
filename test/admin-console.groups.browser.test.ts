/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from './helpers/chromium.js';
import { dialects } from './helpers/server.js';
import { auditEvents, closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * Groups and permissions in the console (issue 19 item 3) in Debian's Chromium, on SQLite and PostgreSQL: the list,
 * a new group with a preview of what each wildcard grants, changes, members, deletion behind a confirmation — all
 * through GroupService, so an admin cannot grant what it does not hold, and each page passes axe-core.
 */
describe.each(dialects)('admin console: groups and permissions (%s, Debian chromium)', (dialect) => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let sys: ConsolePage;
  let supportId: string;

  beforeAll(async () => {
    ({ cast, chromium, sys } = await openSysadminConsole(dialect));
  });
  afterAll(async () => closeConsole({ cast, chromium, sys }));
  const url = (path: string) => `${cast.server.url}${path}`;
  const groupCount = async () => (await cast.server.app.services.database.db.selectFrom('groups').select('id').execute()).length;
  const fillGroup = async (page: Page, name: string, permissions: string[]) => {
    await page.locator('#name').fill(name);
    await page.locator('#permissions').fill(permissions.join('\n'));
  };
  const grantsOf = (page: Page, table: string, permission: string) =>
    page.locator(`#${table} tr`, { has: page.locator('th code', { hasText: new RegExp(`^${permission.replace(/[*]/g, '\\*')}$`) }) }).locator('td').first().textContent();

  it('lists the roles and groups with their permissions', async () => {
    const { page } = sys;
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Groups' }).click();
    await page.waitForURL(url('/admin/groups'));
    const names = await page.locator('tbody th a').allTextContents();
    expect(names).toEqual(expect.arrayContaining(['admin', 'sysadmin', 'readers']));
    expect(await page.locator('tr', { hasText: 'readers' }).textContent()).toContain('accounts:read');
    await expectAccessible(sys);
  });

  it('previews what each line of a new group would grant, saving nothing, then creates it', async () => {
    const { page } = sys;
    const before = await groupCount();
    await page.goto(url('/admin/groups/new'));
    await fillGroup(page, 'support', ['accounts:read', 'sessions:*', '*:read', 'not a permission', 'billing:refund']);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#preview').waitFor();
    expect(await grantsOf(page, 'preview', 'sessions:*')).toBe('sessions:read, sessions:delete');
    expect(await grantsOf(page, 'preview', '*:read')).toBe('accounts:read, groups:read, clients:read, invites:read, sessions:read, audit:read');
    expect(await grantsOf(page, 'preview', 'not a permission')).toContain('not a permission: parts of letters');
    expect(await grantsOf(page, 'preview', 'billing:refund')).toBe('none that Gatehouse checks (an application may)');
    expect(await page.locator('#permissions').inputValue()).toContain('billing:refund');
    expect(await groupCount()).toBe(before);
    await expectAccessible(sys);
    // Saving with the bad line names that line, and saves nothing.
    await page.getByRole('button', { name: 'Create the group' }).click();
    expect(await page.locator('#permissions-error').textContent()).toBe('Line 4: not a permission: parts of letters, digits, _ . - or *, separated by : with , lists');
    expect(await groupCount()).toBe(before);
    await fillGroup(page, 'support', ['accounts:read', 'sessions:*', 'billing:refund']);
    await page.getByRole('button', { name: 'Create the group' }).click();
    await page.waitForURL((u) => u.searchParams.get('done') === 'created');
    supportId = new URL(page.url()).pathname.split('/').pop()!;
    expect(await page.locator('h1').textContent()).toBe('support');
    expect(await grantsOf(page, 'grants-table', 'sessions:*')).toBe('sessions:read, sessions:delete');
    expect(await groupCount()).toBe(before + 1);
    await screenshot(page, `admin-group-${dialect}`);
    await expectAccessible(sys);
  });

  it('refuses a malformed or taken name next to the field, saving nothing', async () => {
    const { page } = sys;
    const before = await groupCount();
    await page.goto(url('/admin/groups/new'));
    await fillGroup(page, 'has space!', ['accounts:read']);
    await page.getByRole('button', { name: 'Create the group' }).click();
    expect(await page.locator('#name-error').textContent()).toContain('Letters, digits and . _ -');
    expect(await page.locator('#name').getAttribute('aria-invalid')).toBe('true');
    await fillGroup(page, 'READERS', ['accounts:read']);
    const taken = page.waitForResponse((r) => r.url() === url('/admin/groups') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Create the group' }).click();
    expect((await taken).status()).toBe(409);
    expect(await page.locator('#name-error').textContent()).toContain('That name is taken');
    expect(await groupCount()).toBe(before);
  });

  it('adds and removes members by e-mail, each audited with the admin as actor', async () => {
    const { page } = sys;
    await page.goto(url(`/admin/groups/${supportId}`));
    await page.locator('#member').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    expect(await page.locator('#member-error').textContent()).toBe('No account has that e-mail, user name or id.');
    await page.locator('#member').fill(cast.alice.email.toUpperCase());
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL((u) => u.searchParams.get('done') === 'member-added');
    expect(await page.locator('section[aria-labelledby="members"] tbody').textContent()).toContain(cast.alice.email);
    expect((await auditEvents(cast.server, 'account.updated', cast.alice.userId)).at(-1)).toMatchObject({ by: cast.sysId, group: supportId, membership: 'added' });
    await page.getByRole('button', { name: `Remove ${cast.alice.email} from the group` }).click();
    await page.waitForURL((u) => u.searchParams.get('done') === 'member-removed');
    expect(await page.locator('section[aria-labelledby="members"]').textContent()).toContain('No member.');
    expect((await auditEvents(cast.server, 'account.updated', cast.alice.userId)).at(-1)).toMatchObject({ by: cast.sysId, membership: 'removed' });
  });

  it('renames a group and changes its permissions', async () => {
    const { page } = sys;
    await page.goto(url(`/admin/groups/${supportId}`));
    await fillGroup(page, 'helpdesk', ['accounts:read', 'sessions:read']);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => u.searchParams.get('done') === 'saved');
    expect(await page.locator('h1').textContent()).toBe('helpdesk');
    expect(await page.locator('#grants-table').textContent()).not.toContain('billing:refund');
    const api = await cast.server.request('GET', `/groups/${supportId}`, { token: cast.sysToken });
    expect([api.body.name, api.body.permissions]).toEqual(['helpdesk', ['accounts:read', 'sessions:read']]);
  });

  it('keeps the roles fixed: no form to change them, only members', async () => {
    const { page } = sys;
    await page.goto(url('/admin/groups/admin'));
    expect(await page.getByRole('note').textContent()).toContain('A role: its name and permissions are fixed');
    expect(await page.locator('#edit').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Delete this group…' }).count()).toBe(0);
    expect(await page.locator('#member').count()).toBe(1);
    expect((await page.goto(url('/admin/groups/admin/delete')))?.status()).toBe(403);
  });

  it('does not let an admin grant what it does not hold: the preview says so, saving is refused', async () => {
    const carol = await openPage(chromium);
    try {
      const everything = await cast.server.request('POST', '/groups', { token: cast.sysToken, json: { name: `everything-${dialect}`, permissions: ['*'] } });
      await signIn(carol.page, cast.server, cast.carol.email);
      const { page } = carol;
      const before = await groupCount();
      await page.goto(url('/admin/groups/new'));
      await fillGroup(page, 'takeover', ['*']);
      await page.getByRole('button', { name: 'Preview' }).click();
      expect(await grantsOf(page, 'preview', '*')).toBe('everything, every permission there is');
      expect(await page.locator('#preview tbody td').nth(1).textContent()).toBe('no — you cannot grant it');
      const refused = page.waitForResponse((r) => r.url() === url('/admin/groups') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Create the group' }).click();
      expect((await refused).status()).toBe(403);
      expect(await page.getByRole('alert').textContent()).toContain('You can only grant and take away permissions you hold yourself');
      expect(await groupCount()).toBe(before);
      // A group granting `*`: carol may rename it (GroupService allows that) but not take `*` away, nor change its members.
      await page.goto(url(`/admin/groups/${everything.body.id}`));
      expect(await page.locator('#member').count()).toBe(0);
      await page.locator('#permissions').fill('');
      const changed = page.waitForResponse((r) => r.url() === url(`/admin/groups/${everything.body.id}`) && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Save' }).click();
      expect((await changed).status()).toBe(403);
      expect(await page.getByRole('alert').textContent()).toContain(': *.');
      expect((await cast.server.request('GET', `/groups/${everything.body.id}`, { token: cast.sysToken })).body.permissions).toEqual(['*']);
      expect((await page.goto(url(`/admin/groups/${everything.body.id}/delete`)))?.status()).toBe(403);
    } finally {
      await carol.context.close();
    }
  });

  it('deletes a group only after its confirmation page', async () => {
    const { page } = sys;
    await page.goto(url(`/admin/groups/${supportId}`));
    await page.getByRole('link', { name: 'Delete this group…' }).click();
    expect(await page.locator('h1').textContent()).toBe('Delete the group helpdesk?');
    await expectAccessible(sys);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(url(`/admin/groups/${supportId}`));
    await page.getByRole('link', { name: 'Delete this group…' }).click();
    await page.getByRole('button', { name: 'Delete the group for good' }).click();
    await page.waitForURL(url('/admin/groups?done=deleted'));
    expect(await page.getByRole('status').textContent()).toBe('The group was deleted.');
    expect((await cast.server.request('GET', `/groups/${supportId}`, { token: cast.sysToken })).status).toBe(404);
  });

  it('opens to an account holding only groups:read the groups and nothing of the accounts', async () => {
    const viewers = await cast.server.request('POST', '/groups', { token: cast.sysToken, json: { name: `viewers-${dialect}`, permissions: ['groups:read'], accounts: [cast.alice.userId] } });
    expect(viewers.status, viewers.text).toBe(201);
    const alice = await openPage(chromium);
    try {
      await signIn(alice.page, cast.server, cast.alice.email);
      const nav = alice.page.getByRole('navigation', { name: 'Admin console' });
      expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Groups', 'Your account']);
      expect((await alice.page.goto(url('/admin/accounts')))?.status()).toBe(403);
      await alice.page.goto(url('/admin/groups/readers'.replace('readers', cast.readersId)));
      // Without accounts:read the members are ids, and without groups:write nothing changes.
      expect(await alice.page.locator('section[aria-labelledby="members"]').textContent()).toContain(cast.reader.userId);
      expect(await alice.page.locator('main form').count()).toBe(0);
      expect((await alice.page.goto(url('/admin/groups/new')))?.status()).toBe(403);
    } finally {
      await alice.context.close();
    }
  });
});
