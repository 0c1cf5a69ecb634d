import { mkdtempSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCleanupOnce } from '../src/jobs/cleanup.js';
import { dialects, goodPassword, registerAndLogin, startServer, type Answer, type TestServer } from './helpers/server.js';

/*
 * Low-severity findings of the security review (issue 14, item 9): unknown `kid`, audit retention, file modes of
 * the SQLite database, security headers. Timeouts and readiness have files of their own
 * (test/hardening.timeouts.test.ts, test/hardening.readyz.test.ts); usernames: test/usernames.test.ts.
 */

const day = 86_400_000;

function expectInvalidToken(answer: Answer): void {
  expect(answer.status, answer.text).toBe(401);
  expect(answer.headers.get('x-error-code')).toBe('invalid-token');
  expect(answer.body).toMatchObject({ status: 401, code: 'invalid-token' });
}

describe.each(dialects)('a JWT naming an unknown kid on %s', (dialect) => {
  let server: TestServer;
  let user: { accessToken: string };
  beforeAll(async () => {
    server = await startServer(dialect);
    user = await registerAndLogin(server, 'kid@example.com');
  });
  afterAll(async () => server?.close());

  /** The user's own claims, signed with the server's real key, under a kid no node has. */
  async function withUnknownKid(kid: string): Promise<string> {
    const { signer } = server.app.services.keys.loaded;
    const payload = JSON.parse(Buffer.from(user.accessToken.split('.')[1]!, 'base64url').toString('utf8'));
    return new SignJWT(payload).setProtectedHeader({ alg: signer.algorithm, kid, typ: 'JWT' }).sign(signer.key);
  }

  it('answers 401 invalid-token, also when the keys were last read more than a second ago (it was a 500)', async () => {
    for (const route of ['/api/auth/account', '/auth/tokens', '/api/auth/context']) {
      server.clock.advance(2000);
      expectInvalidToken(await server.request('GET', route, { token: await withUnknownKid(`unknown-${route}`) }));
    }
    expect((await server.request('GET', '/api/auth/account', { token: user.accessToken })).status).toBe(200);
  });

  it('reads the keys from the database at most once a second under a flood of unknown kids', async () => {
    const keys = server.app.services.keys;
    const reload = vi.spyOn(keys, 'reload');
    try {
      server.clock.advance(2000);
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => withUnknownKid(`flood-${i}`)));
      const answers = await Promise.all(tokens.map((token) => server.request('GET', '/api/auth/account', { token })));
      for (const answer of answers) expectInvalidToken(answer);
      expect(reload).toHaveBeenCalledTimes(1);
      server.clock.advance(500);
      for (const token of tokens.slice(0, 5)) expectInvalidToken(await server.request('GET', '/api/auth/account', { token }));
      expect(reload).toHaveBeenCalledTimes(1);
    } finally {
      reload.mockRestore();
    }
  });
});

describe.each(dialects)('audit.retention on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { audit: { retention: '30d' } } });
  });
  afterAll(async () => server?.close());

  const cleanup = () => {
    server.clock.advance(1000);
    return runCleanupOnce(server.app.services.database.db, server.app.services.config, server.clock.now());
  };
  const eventTimes = async () =>
    (await server.app.services.database.db.selectFrom('audit_events').select('at').orderBy('at').execute()).map((row) => Number(row.at));

  it('removes audit events older than audit.retention at the scheduled clean-up and keeps younger ones', async () => {
    await registerAndLogin(server, 'old-events@example.com');
    const old = await eventTimes();
    expect(old.length).toBeGreaterThan(0);
    server.clock.advance(20 * day);
    await server.request('POST', '/api/auth/login', { json: { email: 'old-events@example.com', password: goodPassword } });
    const young = (await eventTimes()).filter((at) => !old.includes(at));
    expect(young.length).toBeGreaterThan(0);
    expect((await cleanup())?.auditEvents).toBe(0);
    server.clock.advance(10 * day);
    expect((await cleanup())?.auditEvents).toBe(old.length);
    expect(await eventTimes()).toEqual(young);
  });

  it('defaults to 400 days', async () => {
    const other = await startServer(dialect);
    try {
      expect(other.app.services.config.audit.retention).toBe(400 * day);
    } finally {
      await other.close();
    }
  });
});

describe('file modes of the SQLite database', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-modes-'));
    const data = join(dir, 'data');
    server = await startServer('sqlite', {
      database: { url: `sqlite:${join(data, 'gatehouse.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) },
      config: { email: { smtpUrl: null, outboxDir: join(data, 'outbox') } },
    });
  });
  afterAll(async () => server?.close());

  const mode = (path: string) => statSync(path).mode & 0o777;

  it('creates the data folder 0700 and the database, its -wal and -shm 0600 whatever the umask', async () => {
    expect(process.umask() & 0o077).not.toBe(0o077);
    const data = join(dir, 'data');
    expect(mode(data)).toBe(0o700);
    for (const file of ['gatehouse.db', 'gatehouse.db-wal', 'gatehouse.db-shm']) expect([file, mode(join(data, file))]).toEqual([file, 0o600]);
  });

  it('writes outbox mails (live reset links) owner-only', async () => {
    await server.request('POST', '/api/auth/register', { json: { email: 'outbox@example.com', password: goodPassword } });
    const outbox = join(dir, 'data', 'outbox');
    const mails = readdirSync(outbox);
    expect(mails.length).toBeGreaterThan(0);
    expect(mode(outbox)).toBe(0o700);
    for (const mail of mails) expect(mode(join(outbox, mail))).toBe(0o600);
  });

  it('tightens a database file an older release left world-readable', async () => {
    const older = mkdtempSync(join(tmpdir(), 'gatehouse-modes-'));
    const file = join(older, 'gatehouse.db');
    writeFileSync(file, '', { mode: 0o644 });
    expect(mode(file)).toBe(0o644);
    const other = await startServer('sqlite', { database: { url: `sqlite:${file}`, drop: async () => rmSync(older, { recursive: true, force: true }) } });
    try {
      expect(mode(file)).toBe(0o600);
      expect(mode(`${file}-wal`)).toBe(0o600);
    } finally {
      await other.close();
    }
  });
});

describe('security headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite');
  });
  afterAll(async () => server?.close());

  it('sends X-Content-Type-Options: nosniff on answers, errors, 404s and pages', async () => {
    const answers = await Promise.all([
      server.request('GET', '/healthz'),
      server.request('GET', '/api/auth/account'),
      server.request('GET', '/no/such/route'),
      server.request('POST', '/api/auth/login', { json: { email: 1 } }),
      server.request('GET', '/account'),
      server.request('GET', '/docs/static/swagger-ui-bundle.js'),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 400, 200, 200]);
    for (const answer of answers) expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('puts a CSP on /docs without changing the hosted pages\' own', async () => {
    const docs = await server.request('GET', '/docs/');
    expect(docs.status).toBe(200);
    const csp = docs.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    const page = await server.request('GET', '/account');
    expect(page.headers.get('content-security-policy')).toContain("style-src 'unsafe-inline'");
  });

  it('sends no HSTS when server.baseUrl is http', async () => {
    expect((await server.request('GET', '/healthz')).headers.get('strict-transport-security')).toBeNull();
  });

  it('sends HSTS on every answer when server.baseUrl is https', async () => {
    const https = await startServer('sqlite', { config: { server: { baseUrl: 'https://accounts.example.com' } } });
    try {
      for (const path of ['/healthz', '/api/auth/account', '/no/such/route']) {
        expect((await https.request('GET', path)).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      }
    } finally {
      await https.close();
    }
  });
});

describe('the database takes writes, for /readyz', () => {
  it('rewrites one row only', async () => {
    const server = await startServer('sqlite');
    try {
      for (let i = 0; i < 3; i++) {
        server.clock.advance(1000);
        expect((await server.request('GET', '/readyz')).status).toBe(200);
      }
      const rows = await sql<{ n: number }>`select count(*) as n from readiness_probe`.execute(server.app.services.database.db);
      expect(Number(rows.rows[0]!.n)).toBe(1);
    } finally {
      await server.close();
    }
  });
});
