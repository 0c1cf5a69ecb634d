/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './helpers/groups.js';
import { dialects } from './helpers/server.js';
import { closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';
import { goodPassword } from './helpers/server.js';

/*
 * The audit log in the console (issue 19) in Debian's Chromium, on SQLite and PostgreSQL: the events of `GET /audit`
 * filtered by type, actor, account and time, paged, exported as CSV (parsed here, formula cells neutralised), refused
 * without `audit:read`, and each page passes axe-core.
 */

/** An RFC 4180 parser, written apart from the server's writer so the two can disagree. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

const FORMULA = '=HYPERLINK("http://evil.example","click"),x';

describe.each(dialects)('admin console: audit log (%s, Debian chromium)', (dialect) => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let sys: ConsolePage;

  beforeAll(async () => {
    ({ cast, chromium, sys } = await openSysadminConsole(dialect, {}, 'c', async (prepared) => {
      // Events to find: the sysadmin ends Alice's session (session.revoked, by the sysadmin), and someone types a
      // formula as a login name (login.failed with that login name).
      const sessions = await prepared.server.request('GET', `/accounts/${prepared.alice.userId}/tokens`, { token: prepared.sysToken });
      expect(sessions.status, sessions.text).toBe(200);
      const sessionId = sessions.body._embedded['ec:account/token'][0].id as string;
      expect((await prepared.server.request('DELETE', `/accounts/${prepared.alice.userId}/tokens/${sessionId}`, { token: prepared.sysToken })).status).toBe(204);
      const failed = await prepared.server.request('POST', '/api/auth/login', { json: { username: FORMULA, password: 'wrong-password' } });
      expect(failed.status, failed.text).toBe(401);
    }));
  });
  afterAll(async () => closeConsole({ cast, chromium, sys }));
  const url = (path: string) => `${cast.server.url}${path}`;
  const types = (page: Page) => page.locator('#events tbody td:nth-of-type(1) code').allTextContents();
  const filter = async (page: Page, fields: Record<string, string>) => {
    await page.goto(url('/admin/audit'));
    for (const [name, value] of Object.entries(fields)) await page.locator(`#filter-${name}`).fill(value);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForLoadState();
  };

  it('lists the events newest first, as GET /audit does', async () => {
    const { page } = sys;
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(url('/admin/audit'));
    const api = await cast.server.request('GET', '/audit?size=50', { token: cast.sysToken });
    expect(await types(page)).toEqual(api.body._embedded['ec:audit-event'].map((e: { type: string }) => e.type));
    expect(await page.locator('#events caption').textContent()).toBe(`Events 1–${Math.min(50, api.body.total)} of ${api.body.total}, newest first`);
    await expectAccessible(sys);
  });

  it('filters by type prefix, actor, account and time, keeping the filters in the URL', async () => {
    const { page } = sys;
    await filter(page, { type: 'login.' });
    const logins = await types(page);
    expect(logins.length).toBeGreaterThan(3);
    expect(logins.every((type) => type.startsWith('login.'))).toBe(true);
    expect(new URL(page.url()).searchParams.get('type')).toBe('login.');

    await filter(page, { actor: 'admin', account: cast.alice.email });
    expect(await types(page)).toEqual(['session.revoked']);
    expect(await page.locator('#events tbody').textContent()).toContain('by');

    // GET /audit takes the same actor filter: an id or `cli`, never a pattern.
    const api = await cast.server.request('GET', `/audit?actor=${cast.sysId}&accountId=${cast.alice.userId}`, { token: cast.sysToken });
    expect(api.body._embedded['ec:audit-event'].map((e: { type: string }) => e.type)).toEqual(['session.revoked']);
    expectProblem(await cast.server.request('GET', '/audit?actor=%25', { token: cast.sysToken }), 400, 'invalid-request', ['actor']);

    await filter(page, { account: cast.alice.email, from: '2999-01-01T00:00' });
    expect(await page.getByRole('status').textContent()).toBe('No event matches.');
    await filter(page, { account: cast.alice.userId, to: '2999-01-01T00:00' });
    expect(await types(page)).toContain('account.registered');
    await expectAccessible(sys);
  });

  it('exports the filtered events as CSV: a header, RFC 4180 quoting, formulas neutralised', async () => {
    const { page } = sys;
    await filter(page, { type: 'login.failed' });
    const href = await page.getByRole('link', { name: 'Export these events as CSV' }).getAttribute('href');
    expect(href).toBe('/admin/audit.csv?type=login.failed');
    const answer = await page.request.get(url(href!));
    expect(answer.status()).toBe(200);
    expect(answer.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect(answer.headers()['content-disposition']).toBe('attachment; filename="audit.csv"');
    const [header, ...rows] = parseCsv(await answer.text());
    expect(header).toEqual(['id', 'time', 'type', 'account_id', 'session_id', 'login_name', 'address', 'actor', 'data']);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.length === 9 && row[2] === 'login.failed')).toBe(true);
    // The formula typed as a login name comes back as text a spreadsheet will not run, its comma and quotes intact.
    expect(rows.map((row) => row[5])).toContain(`'${FORMULA}`);
    expect(rows.flat().some((cell) => /^[=+\-@]/.test(cell))).toBe(false);

    const byAdmin = parseCsv(await (await page.request.get(url(`/admin/audit.csv?actor=admin&account=${encodeURIComponent(cast.alice.email)}`))).text());
    expect(byAdmin.slice(1).map((row) => [row[2], row[3], row[7]])).toEqual([['session.revoked', cast.alice.userId, cast.sysId]]);
    expect(JSON.parse(byAdmin[1]![8]!)).toMatchObject({ by: cast.sysId });
  });

  it('pages through the events by number, 50 a page', async () => {
    const { page } = sys;
    for (let i = 0; i < 55; i++) await cast.server.app.services.audit.record('login.failed', { loginName: `flood-${i}` });
    await filter(page, { type: 'login.failed' });
    expect(await page.locator('#events tbody tr').count()).toBe(50);
    await page.getByRole('link', { name: 'Older events' }).click();
    await page.waitForURL((u) => u.searchParams.get('page') === '2' && u.searchParams.get('type') === 'login.failed');
    expect(await page.locator('#events caption').textContent()).toMatch(/^Events 51–\d+ of \d+, newest first$/);
    expect(await page.getByRole('link', { name: 'Newer events' }).isVisible()).toBe(true);
    await expectAccessible(sys);
  });

  it('names a bad filter and shows nothing of the log without audit:read', async () => {
    const bad = async (query: string) => sys.page.request.get(url(`/admin/audit?${query}`), { headers: { accept: 'application/json' } });
    const asAnswer = async (r: Awaited<ReturnType<typeof bad>>) => ({ status: r.status(), body: await r.json(), text: '', headers: new Headers(r.headers()) });
    expectProblem(await asAnswer(await bad('from=2026-13-01T00:00')), 400, 'invalid-request', ['from']);
    expectProblem(await asAnswer(await bad('to=yesterday')), 400, 'invalid-request', ['to']);
    expectProblem(await asAnswer(await bad('account=nobody%40example.com')), 400, 'invalid-request', ['account']);
    expectProblem(await asAnswer(await bad('type=LOGIN%25')), 400, 'invalid-request', ['type']);
    expectProblem(await asAnswer(await bad('page=0')), 400, 'invalid-request', ['page']);

    // The reader holds accounts:read only: in the console, but neither the page nor the export.
    const reader = await openPage(chromium);
    try {
      await signIn(reader.page, cast.server, cast.reader.email, goodPassword);
      expect(await reader.page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      const refused = await reader.page.goto(url('/admin/audit'));
      expect(refused?.status()).toBe(403);
      expect(await reader.page.getByRole('alert').textContent()).toBe('This needs the permission audit:read, which your account does not hold.');
      await expectAccessible(reader);
      const csv = await reader.page.request.get(url('/admin/audit.csv'));
      expect(csv.status()).toBe(403);
      expect(await csv.text()).not.toContain('login.failed');
    } finally {
      await reader.context.close();
    }
  });
});
