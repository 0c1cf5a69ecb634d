import { afterAll, beforeAll, expect } from 'vitest';
import { goodPassword, startServer, type Dialect, type TestServer } from './server.js';
import { counts } from './problems.js';

/*
 * What the /api/auth bad-input suites (test/api-auth.bad-input.*.test.ts) share: the server with a user and the
 * admin logged in, and the snapshot of what a refused request must not touch.
 */

/** The account the user's requests are sent as. */
export const userEmail = 'bad-input@example.com';
/** A good password that is not the account's. */
export const otherPassword = 'Another-Pass-77';

/** SQL and HTML injection strings, sent where a name, an e-mail or a token goes. */
export const injections = [`' OR 1=1 --`, '<script>alert(1)</script>', `alice"; DROP TABLE accounts; --`];

/** The answer code of malformed input. */
export const invalid = 'invalid-request';

/** Who a request is sent as. */
export type Who = 'user' | 'admin';
/** The ids of the user and the admin. */
export interface Ctx {
  userId: string;
  adminId: string;
}

/** Counts plus the rows a failed update must not touch (e-mail, confirmation, password hash). */
export async function snapshot(server: TestServer): Promise<unknown> {
  const db = server.app.services.database.db;
  const accounts = await db.selectFrom('accounts').select(['id', 'username', 'email', 'confirmed', 'pending_email', 'last_login_at']).orderBy('id').execute();
  const credentials = await db.selectFrom('credentials').select(['id', 'account_id', 'secret_hash', 'updated_at']).orderBy('id').execute();
  const memberships = await db.selectFrom('memberships').selectAll().orderBy('account_id').orderBy('group_id').execute();
  const revoked = await db.selectFrom('sessions').select(['id', 'revoked_at']).orderBy('id').execute();
  return { counts: await counts(server), accounts, credentials, memberships, revoked };
}

/** The server of one dialect, the ids of its user and admin and their access tokens; filled in by `beforeAll`. */
export interface ApiAuthServer {
  server: TestServer;
  ctx: Ctx;
  tokens: Record<Who, string>;
}

/** Starts the server the /api/auth bad-input suites run against, logs the user and the admin in, closes it after. */
export function useApiAuthServer(dialect: Dialect): ApiAuthServer {
  const started = { tokens: { user: '', admin: '' } } as ApiAuthServer;
  beforeAll(async () => {
    const server = await startServer(dialect, {
      config: {
        signup: { alwaysConfirm: true },
        // Isolate bad-input answers from throttling: every request here must get its own specific answer.
        rateLimit: { enabled: false },
        lockout: { maxAttempts: -1 },
        clients: [{ clientID: 'webapp', callbackURL: 'http://127.0.0.1:9/callback' }],
      },
      env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' },
    });
    started.server = server;
    const registered = await server.request('POST', '/api/auth/register', { json: { email: userEmail, password: goodPassword } });
    expect(registered.status, registered.text).toBe(201);
    const user = await server.request('POST', '/api/auth/login', { json: { email: userEmail, password: goodPassword } });
    const adminLogin = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    expect(user.status, user.text).toBe(200);
    expect(adminLogin.status, adminLogin.text).toBe(200);
    started.tokens.user = user.body.accessToken;
    started.tokens.admin = adminLogin.body.accessToken;
    started.ctx = { userId: user.body.userId, adminId: adminLogin.body.userId };
  });
  afterAll(async () => started.server?.close());
  return started;
}
