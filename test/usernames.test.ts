import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../src/providers/identity.service.js';
import { dialects, goodPassword, startServer, type Answer, type TestServer } from './helpers/server.js';

/*
 * Look-alike usernames (issue 14, item 9): NFKC before the case-insensitive uniqueness check, no mixed scripts,
 * no name that passes for an existing one, no name that looks like someone else's e-mail — on every path that
 * sets a username: registration, `gatehouse admin create`, provider auto-provisioning.
 */

const FULLWIDTH_ADMIN = '\uff41\uff44\uff4d\uff49\uff4e'; // ａｄｍｉｎ
const CYRILLIC_A = '\u0430';
const CYRILLIC_ACE = '\u0430\u0441\u0435'; // асе: Cyrillic a, es, ie

function expectUsernameRefused(answer: Answer, status: 400 | 409): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body.code).toBe(status === 400 ? 'invalid-request' : 'conflict');
  expect(answer.body.errors?.[0]?.field).toBe('username');
}

describe.each(dialects)('usernames on %s', (dialect) => {
  let server: TestServer;
  let seq = 0;
  beforeAll(async () => {
    server = await startServer(dialect);
    expect((await register('ace')).status).toBe(201);
  });
  afterAll(async () => server?.close());

  const register = (username: string | undefined, email = `u${++seq}@example.com`) =>
    server.request('POST', '/api/auth/register', { json: { ...(username === undefined ? {} : { username }), email, password: goodPassword } });
  const accountCount = async () => Number((await server.app.services.database.db.selectFrom('accounts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('stores fullwidth letters as the plain ones (NFKC), so a fullwidth copy of a name is taken', async () => {
    const created = await register('\uff46\uff55\uff4c\uff4c\uff37\uff49\uff44\uff54\uff48'); // ｆｕｌｌＷｉｄｔｈ
    expect(created.status, created.text).toBe(201);
    expect(created.body.username).toBe('fullWidth');
    const before = await accountCount();
    expectUsernameRefused(await register(FULLWIDTH_ADMIN), 409);
    expectUsernameRefused(await register('FULLWIDTH'), 409);
    expect(await accountCount()).toBe(before);
  });

  it('refuses a name mixing Latin with Cyrillic or Greek letters, naming the field', async () => {
    const before = await accountCount();
    for (const name of [`p${CYRILLIC_A}ypal`, `${CYRILLIC_A}dmin`, 'g\u03bfogle']) {
      const answer = await register(name);
      expectUsernameRefused(answer, 400);
      expect(answer.body.errors[0].message).toMatch(/scripts/);
    }
    expect(await accountCount()).toBe(before);
  });

  it('refuses a name of other-script letters that passes for an existing Latin one, and accepts real words', async () => {
    expectUsernameRefused(await register(CYRILLIC_ACE), 409);
    expectUsernameRefused(await register('\u0430\u0441\u0415'), 409); // асЕ: any case
    expect((await register('сергей')).status).toBe(201);
    expect((await register('Ελένη')).status).toBe(201);
    expect((await register('yıldız')).status).toBe(201);
    expect((await register('josé')).status).toBe(201);
  });

  it('refuses a dotted capital İ, which lower-cases to i plus a combining dot', async () => {
    const answer = await register('\u0130nfo');
    expectUsernameRefused(answer, 400);
    expect(answer.body.errors[0].message).toMatch(/lower-cased/);
  });

  it('refuses a username that looks like an e-mail address, unless it is the account\'s own', async () => {
    const before = await accountCount();
    expectUsernameRefused(await register('victim@example.com', 'attacker@example.com'), 400);
    expectUsernameRefused(await register('a@b', 'attacker2@example.com'), 400);
    expect(await accountCount()).toBe(before);
    // The victim can still register with their own address.
    expect((await register(undefined, 'victim@example.com')).status).toBe(201);
    const own = await register('Own@Example.com', 'own@example.com');
    expect(own.status, own.text).toBe(201);
    expect(own.body.username).toBe('Own@Example.com');
  });

  it('gives an auto-provisioned account a free, acceptable name when the IdP\'s is refused or taken', async () => {
    const { services } = server.app;
    const identities = new IdentityService({ ...services, db: services.database.db });
    const rule = { createAccounts: true, unknownPerson: 'invalid-credentials' } as const;
    const squatter = await identities.resolve({ provider: 'cas', subject: 'sq1', email: null, emailVerified: false, username: 'victim2@example.com' }, rule);
    expect(squatter.username).toBe('cas-sq1');
    const lookAlike = await identities.resolve({ provider: 'cas', subject: `${CYRILLIC_A}ce`, email: null, emailVerified: false, username: `${CYRILLIC_A}ce` }, rule);
    expect(lookAlike.username).toMatch(/^cas-[0-9a-f-]{36}$/);
    const fullwidth = await identities.resolve({ provider: 'oidc-x', subject: 's3', email: null, emailVerified: false, username: '\uff42\uff4f\uff42' }, rule);
    expect(fullwidth.username).toBe('bob');
    const own = await identities.resolve({ provider: 'oidc-x', subject: 's4', email: 'mine@example.com', emailVerified: true, username: 'mine@example.com' }, rule);
    expect(own.username).toBe('mine@example.com');
  });
});

describe('gatehouse admin create', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-usernames-cli-'));
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: `sqlite:${join(dir, 'gatehouse.db')}` };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (username: string, email: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'admin', 'create', '--username', username, '--email', email], {
    env, input: `${goodPassword}\n`, encoding: 'utf8', timeout: 60_000,
  });

  it('applies the same rules: NFKC, no e-mail look-alike, no mixed scripts, no look-alike of an existing name', () => {
    const created = cli('\uff52\uff4f\uff4f\uff54', 'root@example.com'); // ｒｏｏｔ
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^created sysadmin root /);
    expect(cli('other@example.com', 'root2@example.com').stderr).toMatch(/--username: must not look like an e-mail address/);
    expect(cli(`r${'\u043e'}ot2`, 'root3@example.com').stderr).toMatch(/--username: must not mix letters of different scripts/);
    expect(cli('space', 'space@example.com').status).toBe(0);
    const lookAlike = cli('\u0455\u0440\u0430\u0441\u0435', 'space2@example.com'); // ѕрасе, all Cyrillic
    expect(lookAlike.status).toBe(1);
    expect(lookAlike.stderr).toMatch(/--username: looks like an existing username/);
  }, 120_000);
});
