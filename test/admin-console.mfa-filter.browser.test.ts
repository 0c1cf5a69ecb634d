/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPasskey } from '../src/mfa/passkey.repository.js';
import { saveUnconfirmedTotp, takeTotpStep } from '../src/mfa/totp.repository.js';
import { closeConsole, expectAccessible, openSysadminConsole, type ConsoleCast, type SysadminConsole } from './helpers/admin-console.js';
import { enrolTotp } from './helpers/mfa.js';
import { dialects } from './helpers/server.js';

/*
 * The account list's "second factor" filter (issue 19 item 2) in Debian's Chromium, on SQLite and PostgreSQL: with a
 * factor (a confirmed TOTP secret, or a passkey, a disabled one too), without one (an unconfirmed TOTP secret is none),
 * combined with another filter, paged by the keyset cursor, and a bad value answered with a page naming the field.
 */

/** Accounts holding a factor beyond the one enrolled through the API: more than a page (50), so the filter pages. */
const HOLDERS = 56;

/** Ids of the accounts the test gave factors, and the ones that look close to it but hold none. */
interface Seeded {
  holders: Set<string>;
  unconfirmedHolder: string;
  unconfirmedTotp: string;
}

/**
 * Gives accounts their factors the way the stores hold them: through the MFA repositories, so the filter reads what
 * enrolment writes (one account enrols TOTP through the HTTP API with oathtool's code, the real path end to end).
 */
async function seedFactors(cast: ConsoleCast): Promise<Seeded> {
  const { accounts, database } = cast.server.app.services;
  const db = database.db;
  const now = cast.server.clock.now();
  const holders = new Set<string>([(await enrolTotp(cast.server, 'enrolled')).userId]);
  const passkey = (accountId: string, n: number, disabled: boolean) => insertPasskey(db, {
    id: `pk-${n}`, account_id: accountId, credential_id: `cred-${n}`, public_key: 'AQID', sign_count: 0, transports: '[]',
    name: `key ${n}`, backed_up: 0, disabled_at: disabled ? now : null, created_at: now, last_used_at: null,
  });
  let unconfirmedHolder = '';
  for (let i = 1; i <= HOLDERS; i++) {
    cast.server.clock.advance(1000);
    // Every seventh holder is unconfirmed, so "with a factor" combined with confirmation has fewer rows than either.
    const confirmed = i % 7 !== 0;
    const account = await accounts.createAccount({ username: `holder-${i}`, email: `holder-${i}@example.org`, type: 'user', confirmed });
    if (i % 3 !== 0) {
      expect(await saveUnconfirmedTotp(db, account.id, 'not-a-real-box', now)).toBe(true);
      expect(await takeTotpStep(db, account.id, 1, now, true)).toBe(true);
    }
    if (i % 3 !== 1) await passkey(account.id, i, i % 5 === 0);
    holders.add(account.id);
    if (!confirmed) unconfirmedHolder ||= account.id;
    // Plain accounts between the holders (every eleventh unconfirmed), so a filtered page skips rows of the listing index.
    await accounts.createAccount({ username: `plain-${i}`, email: `plain-${i}@example.org`, type: 'user', confirmed: i % 11 !== 0 });
  }
  // Set up and never confirmed: no second factor yet.
  const unconfirmed = await accounts.createAccount({ username: 'half-enrolled', email: 'half-enrolled@example.org', type: 'user', confirmed: true });
  expect(await saveUnconfirmedTotp(db, unconfirmed.id, 'not-a-real-box', now)).toBe(true);
  return { holders, unconfirmedHolder, unconfirmedTotp: unconfirmed.id };
}

describe.each(dialects)('admin console: the account list by second factor (%s, Debian chromium)', (dialect) => {
  let opened: SysadminConsole;
  let seeded: Seeded;
  /** Every account's id in list order (created_at, id). */
  let order: string[];

  beforeAll(async () => {
    opened = await openSysadminConsole(dialect, {}, 'mfa', async (cast) => {
      seeded = await seedFactors(cast);
    });
    const db = opened.cast.server.app.services.database.db;
    order = (await db.selectFrom('accounts').select('id').orderBy('created_at').orderBy('id').execute()).map((row) => row.id);
  });
  afterAll(() => closeConsole(opened));

  const url = (path: string) => `${opened.cast.server.url}${path}`;
  const rowIds = () => opened.sys.page.locator('tbody th[scope="row"] a').evaluateAll((links) => links.map((a) => a.getAttribute('href')!.split('/').pop()!));
  const filter = async (fields: { mfa: string; confirmed?: string }) => {
    const { page } = opened.sys;
    await page.goto(url('/admin/accounts'));
    await page.locator('#filter-mfa').selectOption(fields.mfa);
    if (fields.confirmed) await page.locator('#filter-confirmed').selectOption(fields.confirmed);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.searchParams.has('mfa'));
  };
  /** Every row of the filtered list, following its Next links; checks each page is the next slice of `expected`. */
  const allPages = async (expected: string[]) => {
    const { page } = opened.sys;
    const seen: string[] = [];
    for (;;) {
      const ids = await rowIds();
      expect(ids).toEqual(expected.slice(seen.length, seen.length + 50));
      seen.push(...ids);
      const next = page.getByRole('link', { name: 'Next page' });
      if ((await next.count()) === 0) return seen;
      const before = page.url();
      await next.click();
      await page.waitForURL((u) => u.href !== before && u.searchParams.has('after'));
    }
  };

  it('lists only accounts with a second factor, across pages by the cursor, keeping the filter', async () => {
    const expected = order.filter((id) => seeded.holders.has(id));
    expect(expected.length).toBeGreaterThan(50);
    await filter({ mfa: 'yes' });
    expect(await opened.sys.page.locator('#filter-mfa').inputValue()).toBe('yes');
    await expectAccessible(opened.sys);
    const seen = await allPages(expected);
    expect(seen).toEqual(expected);
    expect(new URL(opened.sys.page.url()).searchParams.get('mfa')).toBe('yes');
    expect(seen).not.toContain(seeded.unconfirmedTotp);
  });

  it('lists only accounts without one: the unconfirmed TOTP set-up among them, no holder', async () => {
    const expected = order.filter((id) => !seeded.holders.has(id));
    expect(expected).toContain(seeded.unconfirmedTotp);
    await filter({ mfa: 'no' });
    const seen = await allPages(expected);
    expect(seen).toEqual(expected);
    expect(seen.filter((id) => seeded.holders.has(id))).toEqual([]);
  });

  it('combines with another filter: unconfirmed accounts with a factor, and without one', async () => {
    const db = opened.cast.server.app.services.database.db;
    const unconfirmed = new Set((await db.selectFrom('accounts').select('id').where('confirmed', '=', 0).execute()).map((row) => row.id));
    await filter({ mfa: 'yes', confirmed: 'no' });
    const withFactor = order.filter((id) => unconfirmed.has(id) && seeded.holders.has(id));
    expect(withFactor.length).toBe(8);
    expect(await rowIds()).toEqual(withFactor);
    expect(withFactor).toContain(seeded.unconfirmedHolder);
    await filter({ mfa: 'no', confirmed: 'no' });
    const without = order.filter((id) => unconfirmed.has(id) && !seeded.holders.has(id));
    expect(without.length).toBe(5);
    expect(await rowIds()).toEqual(without);
    expect(new URL(opened.sys.page.url()).searchParams.get('confirmed')).toBe('no');
  });

  it('answers a value other than yes, no or empty with a 400 page naming the field', async () => {
    const { page } = opened.sys;
    for (const bad of ['maybe', 'true', '1']) {
      const answer = await page.goto(url(`/admin/accounts?mfa=${bad}`));
      expect(answer?.status()).toBe(400);
      expect(await page.getByRole('alert').textContent()).toContain('mfa');
    }
    await expectAccessible(opened.sys);
    const empty = await page.goto(url('/admin/accounts?mfa='));
    expect(empty?.status()).toBe(200);
    expect(await rowIds()).toEqual(order.slice(0, 50));
  });
});
