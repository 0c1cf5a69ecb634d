/**
 * Gatehouse as the scenarios meet it: bench/children/server.ts (the built dist/) on SQLite or on a PostgreSQL schema,
 * and the bench user signed in every way the scenarios need.
 */
import { cookie, bearer, expectStatus, FORM_HEADERS, JSON_HEADERS } from './http.js';
import { BENCH_USER, USER_PATH } from './params.js';
import { startBenchServer, type BenchServer } from './processes.js';

/** The auth cookie's name (the `cookie.name` default). */
const COOKIE_NAME = 'auth_token';

/** What the signed-in bench user holds: a bearer JWT, a cookie session, and the answer both should get. */
export interface Credentials {
  accessToken: string;
  cookie: string;
  userJson: string;
}

/**
 * Starts Gatehouse as the bench runs it (production argon2 cost, no logger) on a temp SQLite database, or on the
 * PostgreSQL URL given with `--database-url`. Why one place: every scenario measures the same server.
 */
export function startGatehouse(args: string[] = []): Promise<BenchServer> {
  return startBenchServer('children/server.ts', args);
}

/**
 * Registers the bench user, logs in by API and by cookie, and checks both credentials answer the same user.
 * Why: a read measured with a credential the server does not honour measures the guest answer.
 */
export async function signIn(base: string): Promise<Credentials> {
  await register(base);
  const { accessToken } = await login(base);
  const cookieLogin = await fetch(`${base}/auth/cookie`, { method: 'POST', headers: FORM_HEADERS, body: cookieForm() });
  await expectStatus(cookieLogin, 'cookie login', 200);
  const session = cookieLogin.headers.getSetCookie().map((line) => line.split(';')[0]!).find((pair) => pair.startsWith(`${COOKIE_NAME}=`));
  if (!session) throw new Error(`cookie login set no ${COOKIE_NAME} cookie`);
  const viaBearer = await fetch(base + USER_PATH, { headers: bearer(accessToken) });
  await expectStatus(viaBearer, `GET ${USER_PATH} (bearer)`, 200);
  const userJson = await viaBearer.text();
  const viaCookie = await fetch(base + USER_PATH, { headers: cookie(session) });
  const cookieJson = await viaCookie.text();
  // A guest answer is a 200 too: only the same user proves the cookie was honoured.
  if (JSON.parse(cookieJson).id !== JSON.parse(userJson).id || JSON.parse(userJson).id === '_guest') throw new Error(`GET ${USER_PATH}: the cookie and the bearer token answer different users`);
  return { accessToken, cookie: session, userJson };
}

/** Registers the bench user; why: a fresh server has no account to sign in with. */
export async function register(base: string): Promise<void> {
  await expectStatus(await fetch(`${base}/api/auth/register`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(BENCH_USER) }), 'register', 201);
}

/** Logs the bench user in by API; why: each refresh chain starts from a session of its own. */
export async function login(base: string): Promise<{ accessToken: string; refreshToken: string }> {
  const answer = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(BENCH_USER) });
  await expectStatus(answer, 'login', 200);
  return (await answer.json()) as { accessToken: string; refreshToken: string };
}

/** The hosted login form's body for the bench user (`POST /auth/cookie`). */
export function cookieForm(): string {
  return new URLSearchParams({ auth_username: BENCH_USER.email, auth_password: BENCH_USER.password }).toString();
}
