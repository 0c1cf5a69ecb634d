/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword } from './helpers/server.js';
import { closeConsole, expectAccessible, openPage, openSysadminConsole, signIn, type ConsoleCast, type ConsolePage } from './helpers/admin-console.js';

/*
 * Signing keys in the console (issue 19) in Debian's Chromium, on SQLite and PostgreSQL: the stored keys with what each
 * signs, and "Rotate" behind a confirmation doing what `gatehouse keys rotate` does — new keys for the access tokens'
 * algorithm and the OpenID provider's, the old ones retired but still verifying, this node's key store reloaded,
 * audited; refused without system:config, even with a real form token.
 */
describe.each(dialects)('admin console: signing keys (%s, Debian chromium)', (dialect) => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let sys: ConsolePage;

  beforeAll(async () => {
    ({ cast, chromium, sys } = await openSysadminConsole(dialect));
  });
  afterAll(async () => closeConsole({ cast, chromium, sys }));
  const url = (path: string) => `${cast.server.url}${path}`;
  const db = () => cast.server.app.services.database.db;
  const storedKeys = () => db().selectFrom('signing_keys').select(['kid', 'algorithm', 'retired_at']).orderBy('created_at').orderBy('kid').execute();
  const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid as string;
  const stateOf = (kid: string) => sys.page.locator('#keys tr', { has: sys.page.locator('th code', { hasText: kid }) }).locator('td').nth(2).textContent();

  it('lists the stored keys by kid with what each signs, never a private part', async () => {
    const { page } = sys;
    await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Signing keys' }).click();
    await page.waitForURL(url('/admin/keys'));
    const stored = await storedKeys();
    expect(await page.locator('#keys tbody th code').allTextContents()).toEqual(stored.map((key) => key.kid));
    expect(await stateOf(kidOf(cast.sysToken))).toContain('signs access tokens');
    expect(await page.locator('main').textContent()).toContain('Access tokens are signed with RS512.');
    expect(await page.content()).not.toMatch(/"d":|private/i);
    await expectAccessible(sys);
  });

  it('rotates behind a confirmation, as gatehouse keys rotate does: new signers, old keys still verify, audited', async () => {
    const { page } = sys;
    const before = await storedKeys();
    const oldSigner = kidOf(cast.sysToken);
    await page.getByRole('link', { name: 'Rotate the keys…' }).click();
    await page.waitForURL(url('/admin/keys/rotate'));
    expect(await page.locator('h1').textContent()).toBe('Rotate the signing keys?');
    expect(await page.locator('main p').first().textContent()).toContain('A new key is made for RS512, RS256, ES256');
    expect(await storedKeys()).toEqual(before);
    await expectAccessible(sys);
    await page.getByRole('button', { name: 'Rotate the keys' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/keys' && u.searchParams.get('done') === 'rotated');

    const after = await storedKeys();
    const fresh = after.filter((key) => !before.some((old) => old.kid === key.kid));
    expect(fresh.map((key) => key.algorithm).sort()).toEqual(['ES256', 'RS256', 'RS512']);
    expect(fresh.every((key) => key.retired_at === null)).toBe(true);
    expect(after.filter((key) => !fresh.includes(key)).every((key) => key.retired_at !== null)).toBe(true);
    const notice = await page.getByRole('status').textContent();
    for (const key of fresh) expect(notice).toContain(key.kid);
    for (const key of before) expect(notice).not.toContain(key.kid);
    const newSigner = fresh.find((key) => key.algorithm === 'RS512')!.kid;
    expect(await stateOf(newSigner)).toContain('signs access tokens');
    expect(await stateOf(newSigner)).toContain('signs for the OpenID provider');
    expect(await stateOf(oldSigner)).toMatch(/^retired .+, still verifies$/);
    await expectAccessible(sys);

    // This node signs with the new key at once, publishes every key, and the old token still verifies.
    const login = await cast.server.request('POST', '/api/auth/login', { json: { email: cast.alice.email, password: goodPassword } });
    expect(kidOf(login.body.accessToken)).toBe(newSigner);
    const jwks = await cast.server.request('GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toEqual(expect.arrayContaining([oldSigner, ...fresh.map((key) => key.kid)]));
    expect((await cast.server.request('GET', `/accounts/${cast.sysId}`, { token: cast.sysToken })).status).toBe(200);

    const events = await db().selectFrom('audit_events').select(['data', 'session_id']).where('type', '=', 'keys.rotated').execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data!)).toEqual({ by: cast.sysId, keys: expect.arrayContaining([`${newSigner} (RS512)`]) });
  });

  it('refuses the page and the rotation without system:config, even with the caller’s real form token', async () => {
    // Carol has the role admin: every admin permission but system:config.
    const carol = await openPage(chromium);
    try {
      await signIn(carol.page, cast.server, cast.carol.email, goodPassword);
      expect(await carol.page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Signing keys' }).count()).toBe(0);
      const csrf = await carol.page.locator('nav input[name="csrf"]').first().inputValue();
      const refused = await carol.page.goto(url('/admin/keys'));
      expect(refused?.status()).toBe(403);
      expect(await carol.page.getByRole('alert').textContent()).toBe('This needs the permission system:config, which your account does not hold.');
      await expectAccessible(carol);
      const before = await storedKeys();
      const post = await carol.page.request.post(url('/admin/keys/rotate'), { form: { csrf }, headers: { origin: cast.server.url } });
      expect(post.status()).toBe(403);
      // Without a form token even the sysadmin's post changes nothing.
      const tokenless = await sys.page.request.post(url('/admin/keys/rotate'), { form: {}, headers: { origin: cast.server.url } });
      expect(tokenless.status()).toBe(403);
      expect(await storedKeys()).toEqual(before);
    } finally {
      await carol.context.close();
    }
  });
});

describe('admin console: signing keys with HS512 and the provider off (sqlite)', () => {
  let cast: ConsoleCast;
  let chromium: Browser;
  let sys: ConsolePage;

  beforeAll(async () => {
    ({ cast, chromium, sys } = await openSysadminConsole('sqlite', { config: { tokens: { algorithm: 'HS512', hmacSecret: 'h'.repeat(64) }, oidc: { enabled: false } } }, 'hs'));
  });
  afterAll(async () => closeConsole({ cast, chromium, sys }));

  it('says the configured secret signs, offers no rotation, and answers a hand-made one with 409', async () => {
    const { page } = sys;
    await page.goto(`${cast.server.url}/admin/keys`);
    expect(await page.locator('main').textContent()).toContain('Access tokens are signed with HS512 and the secret tokens.hmacSecret');
    expect(await page.getByRole('link', { name: 'Rotate the keys…' }).count()).toBe(0);
    const csrf = await page.locator('nav input[name="csrf"]').first().inputValue();
    const post = await page.request.post(`${cast.server.url}/admin/keys/rotate`, { form: { csrf }, headers: { origin: cast.server.url } });
    expect(post.status()).toBe(409);
    expect(await cast.server.app.services.database.db.selectFrom('signing_keys').select('kid').execute()).toEqual([]);
    await expectAccessible(sys);
  });
});
