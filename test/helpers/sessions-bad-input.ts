import { afterAll, beforeAll, expect } from 'vitest';
import { goodPassword, startServer, type Answer, type Dialect, type TestServer } from './server.js';
import { counts } from './problems.js';

/*
 * What the sessions bad-input suites (test/sessions.bad-input.*.test.ts) share: the accounts, the two servers
 * they run against, and the ways to log in, look and compare the store.
 */

/** The account most requests are sent as. */
export const userEmail = 'cookie-user@example.com';
/** The account whose session the user must not touch. */
export const otherEmail = 'cookie-other@example.com';
const adminPassword = 'bootstrap-pw';
/** The one registered client's callbackURL: the only place /auth/logout may redirect to. */
export const callbackURL = 'http://127.0.0.1:9/callback';
/** A well-formed UUID that names nothing. */
export const unknownId = '00000000-0000-4000-8000-000000000000';
/** A foreign origin, for redirects and CSRF. */
export const evil = 'https://evil.example';

/** SQL and HTML injection strings, sent where a name or token goes. */
export const injections = [`' OR 1=1 --`, '<script>alert(1)</script>', `alice"; DROP TABLE sessions; --`];

/** The answer code of malformed input. */
export const invalid = 'invalid-request';

/** Counts plus what a refused request must not touch: accounts (language), password hashes, session revocations. */
export async function snapshot(server: TestServer): Promise<unknown> {
  const db = server.app.services.database.db;
  const accounts = await db.selectFrom('accounts').select(['id', 'username', 'email', 'confirmed', 'language', 'last_login_at']).orderBy('id').execute();
  const credentials = await db.selectFrom('credentials').select(['id', 'account_id', 'secret_hash', 'updated_at']).orderBy('id').execute();
  const sessions = await db.selectFrom('sessions').select(['id', 'revoked_at']).orderBy('id').execute();
  return { counts: await counts(server), accounts, credentials, sessions };
}

/** An `application/x-www-form-urlencoded` body. */
export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
/** The content type of a form body. */
export const formType = { 'content-type': 'application/x-www-form-urlencoded' };

/** The auth cookie a response sets, if any. */
export function authSetCookie(answer: Answer): string | undefined {
  return answer.headers.getSetCookie().find((c) => c.startsWith('auth_token='));
}

/** The response neither sets nor clears the auth cookie. */
export function expectNoAuthCookie(answer: Answer): void {
  expect(authSetCookie(answer), answer.headers.getSetCookie().join(' | ')).toBeUndefined();
}

/** A cookie session as the browser holds it. */
export interface CookieSession {
  /** `auth_token=<id>.<secret>`, ready for a `cookie` header. */
  cookie: string;
  sessionId: string;
  secret: string;
}

/** Logs in through `POST /auth/cookie` and returns the cookie the browser would send back. */
export async function cookieLogin(server: TestServer, login: string, password = goodPassword, extra: Record<string, string> = {}): Promise<CookieSession> {
  const answer = await server.request('POST', '/auth/cookie', { body: form({ auth_username: login, auth_password: password, ...extra }), headers: formType });
  expect(answer.status, answer.text).toBe(200);
  const set = authSetCookie(answer);
  expect(set).toBeDefined();
  const value = /^auth_token=([^;]+)/.exec(set!)![1]!;
  const [sessionId, secret] = decodeURIComponent(value).split('.') as [string, string];
  return { cookie: `auth_token=${value}`, sessionId, secret };
}

/** `GET /auth/user` with these headers. */
export function whoAmI(server: TestServer, headers: Record<string, string>, query = ''): Promise<Answer> {
  return server.request('GET', `/auth/user${query}`, { headers });
}

/** Whether the session has been ended. */
export async function isRevoked(server: TestServer, sessionId: string): Promise<boolean> {
  const db = server.app.services.database.db;
  const row = await db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  return row.revoked_at !== null;
}

/** An `Authorization: Basic` header value. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Logs in through `POST /api/auth/login` and returns its access token and account id. */
export async function apiLogin(server: TestServer, login: Record<string, string>): Promise<{ accessToken: string; userId: string }> {
  const answer = await server.request('POST', '/api/auth/login', { json: login });
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
}

/** Registers a confirmed account with the good password. */
async function register(server: TestServer, email: string): Promise<void> {
  const answer = await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } });
  expect(answer.status, answer.text).toBe(201);
}

/** Every server of these suites: one registered client, no rate limit or lockout in the way. */
const baseConfig = {
  signup: { alwaysConfirm: true },
  // Isolate bad-input answers from throttling: every request here must get its own specific answer.
  rateLimit: { enabled: false },
  lockout: { maxAttempts: -1 },
  clients: [{ clientID: 'webapp', callbackURL }],
};

/** Who is who on `server`, with their tokens. */
export interface Ctx {
  userId: string;
  otherId: string;
  adminId: string;
  userToken: string;
  adminToken: string;
  /** A cookie session of the other account. */
  otherCookie: CookieSession;
}

/** The servers and accounts of one dialect; filled in by `beforeAll`. */
export interface SessionServers {
  /** httpBasic enabled: most of the suite. */
  server: TestServer;
  /** httpBasic disabled (the default); started only when asked for. */
  plain: TestServer;
  ctx: Ctx;
}

/**
 * Starts the servers the sessions bad-input suites run against, with the user, the other account and the admin
 * logged in, and closes them after the suite; `plain` adds the server with httpBasic off.
 */
export function useSessionServers(dialect: Dialect, options: { plain?: boolean } = {}): SessionServers {
  const servers = {} as SessionServers;
  beforeAll(async () => {
    const [server, plain] = await Promise.all([
      startServer(dialect, { config: { ...baseConfig, httpBasic: { enabled: true } }, env: { GATEHOUSE_ADMIN_PASSWORD: adminPassword } }),
      options.plain ? startServer(dialect, { config: baseConfig }) : undefined,
    ]);
    servers.server = server;
    await register(server, userEmail);
    await register(server, otherEmail);
    if (plain) {
      servers.plain = plain;
      await register(plain, userEmail);
    }
    const user = await apiLogin(server, { email: userEmail, password: goodPassword });
    const other = await apiLogin(server, { email: otherEmail, password: goodPassword });
    const admin = await apiLogin(server, { username: 'admin', password: adminPassword });
    servers.ctx = {
      userId: user.userId, otherId: other.userId, adminId: admin.userId,
      userToken: user.accessToken, adminToken: admin.accessToken,
      otherCookie: await cookieLogin(server, otherEmail),
    };
  });
  afterAll(async () => {
    await servers.server?.close();
    await servers.plain?.close();
  });
  return servers;
}
