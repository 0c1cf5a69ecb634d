import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, type Answer, type TestServer } from './helpers/server.js';
import { expectProblem } from './helpers/problems.js';
import {
  apiLogin, basic, cookieLogin, evil, expectNoAuthCookie, isRevoked, snapshot, useSessionServers, userEmail, whoAmI, type Ctx,
} from './helpers/sessions-bad-input.js';

/*
 * Cross-site requests on the session endpoints (CONTRACT §3–§5, DESIGN "Principles"): a cookie-authenticated
 * DELETE /auth/tokens, POST /auth/logout or PUT /accounts/{id} needs a same-origin Origin or Sec-Fetch-Site;
 * Bearer tokens and HTTP Basic are exempt, and safe methods pass.
 */

async function languageOf(server: TestServer, accountId: string): Promise<string | null> {
  const db = server.app.services.database.db;
  return (await db.selectFrom('accounts').select('language').where('id', '=', accountId).executeTakeFirstOrThrow()).language;
}

/** The session id (`sid`) inside an access token. */
function sidOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')).sid;
}

/** Who sends which credentials in the CSRF matrix. */
interface Credential {
  headers: Record<string, string>;
  /** The session the credential belongs to (after its first use, for Basic). */
  sessionId(): Promise<string>;
}

describe.each(dialects)('sessions bad input on %s', (dialect) => {
  const servers = useSessionServers(dialect);
  let server: TestServer, ctx: Ctx;
  let languageCounter = 0;
  beforeAll(() => {
    ({ server, ctx } = servers);
  });

  describe('CSRF: cookie-authenticated unsafe requests need a same-origin Origin or Sec-Fetch-Site', () => {
    /** The three unsafe requests; `changed` tells whether the request had its effect. */
    const unsafe: Array<{ name: string; ok: number; act(cred: Credential, headers: Record<string, string>): Promise<{ answer: Answer; changed(): Promise<boolean> }> }> = [
      {
        name: 'DELETE /auth/tokens',
        ok: 204,
        act: async (cred, headers) => {
          const victim = await cookieLogin(server, userEmail);
          const answer = await server.request('DELETE', '/auth/tokens', { json: { token: victim.sessionId }, headers: { ...cred.headers, ...headers } });
          return { answer, changed: () => isRevoked(server, victim.sessionId) };
        },
      },
      {
        name: 'POST /auth/logout',
        ok: 200,
        act: async (cred, headers) => {
          const answer = await server.request('POST', '/auth/logout', { headers: { ...cred.headers, ...headers } });
          const sessionId = await cred.sessionId();
          return { answer, changed: () => isRevoked(server, sessionId) };
        },
      },
      {
        name: 'PUT /accounts/{id}',
        ok: 200,
        act: async (cred, headers) => {
          const language = `de-c${++languageCounter}`;
          const answer = await server.request('PUT', `/accounts/${ctx.userId}`, { json: { language }, headers: { ...cred.headers, ...headers } });
          return { answer, changed: async () => (await languageOf(server, ctx.userId)) === language };
        },
      },
    ];

    const cookieCredential = async (): Promise<Credential> => {
      const session = await cookieLogin(server, userEmail);
      return { headers: { cookie: session.cookie }, sessionId: async () => session.sessionId };
    };
    const bearerCredential = async (): Promise<Credential> => {
      const { accessToken } = await apiLogin(server, { email: userEmail, password: goodPassword });
      return { headers: { authorization: `Bearer ${accessToken}` }, sessionId: async () => sidOf(accessToken) };
    };
    const basicCredential = async (): Promise<Credential> => {
      const headers = { authorization: basic(userEmail, goodPassword) };
      // The Basic session starts on first use; find it in the store.
      expect((await whoAmI(server, headers)).body.id).toBe(ctx.userId);
      const sessionId = async () => {
        const db = server.app.services.database.db;
        const row = await db.selectFrom('sessions').select('id').where('account_id', '=', ctx.userId).where('method', '=', 'basic')
          .orderBy('login_time', 'desc').orderBy('id').executeTakeFirstOrThrow();
        return row.id;
      };
      await sessionId();
      return { headers, sessionId };
    };

    const refused: Array<[string, () => Record<string, string>]> = [
      ['neither Origin nor Sec-Fetch-Site', () => ({})],
      ['Origin: https://evil.example', () => ({ origin: evil })],
      ['Sec-Fetch-Site: cross-site', () => ({ 'sec-fetch-site': 'cross-site' })],
      ['Sec-Fetch-Site: same-site', () => ({ 'sec-fetch-site': 'same-site' })],
      ['Sec-Fetch-Site: none', () => ({ 'sec-fetch-site': 'none' })],
      ['Origin: null', () => ({ origin: 'null' })],
      ['a foreign Origin with Sec-Fetch-Site: same-origin', () => ({ origin: evil, 'sec-fetch-site': 'same-origin' })],
      ['the same host on another port', () => ({ origin: 'http://127.0.0.1:1' })],
      ['localhost instead of 127.0.0.1', () => ({ origin: server.url.replace('127.0.0.1', 'localhost') })],
      ['https instead of http', () => ({ origin: server.url.replace('http:', 'https:') })],
      ['a look-alike suffix', () => ({ origin: `${server.url}.evil.example` })],
      ['Referer from our origin but no Origin', () => ({ referer: `${server.url}/` })],
    ];
    const allowed: Array<[string, () => Record<string, string>]> = [
      ['Origin: <baseUrl origin>', () => ({ origin: server.url })],
      ['Sec-Fetch-Site: same-origin without Origin', () => ({ 'sec-fetch-site': 'same-origin' })],
      ['Origin: <baseUrl origin> with Sec-Fetch-Site: same-origin', () => ({ origin: server.url, 'sec-fetch-site': 'same-origin' })],
    ];

    describe.each(unsafe)('$name', (request) => {
      it.each(refused)('with a cookie and %s → 403 forbidden, nothing changed', async (_name, headers) => {
        const cred = await cookieCredential();
        const before = await snapshot(server);
        const { answer, changed } = await request.act(cred, headers());
        expectProblem(answer, 403, 'forbidden');
        expectNoAuthCookie(answer);
        expect(await changed()).toBe(false);
        expect(await isRevoked(server, await cred.sessionId())).toBe(false);
        // The victim session the DELETE case created is the only new row; nothing was revoked or changed.
        const after = (await snapshot(server)) as { accounts: unknown; credentials: unknown; sessions: Array<{ revoked_at: unknown }> };
        expect(after.accounts).toEqual((before as typeof after).accounts);
        expect(after.credentials).toEqual((before as typeof after).credentials);
        expect(after.sessions.filter((s) => s.revoked_at !== null).length).toBe((before as typeof after).sessions.filter((s) => s.revoked_at !== null).length);
        // The session still works.
        expect((await whoAmI(server, cred.headers)).body.id).toBe(ctx.userId);
      });

      it.each(allowed)('with a cookie and %s → allowed', async (_name, headers) => {
        const cred = await cookieCredential();
        const { answer, changed } = await request.act(cred, headers());
        expect(answer.status, answer.text).toBe(request.ok);
        expect(await changed()).toBe(true);
      });

      it('with a Bearer token and no Origin → allowed (exempt), even with a cookie and a foreign Origin alongside', async () => {
        const first = await request.act(await bearerCredential(), {});
        expect(first.answer.status, first.answer.text).toBe(request.ok);
        expect(await first.changed()).toBe(true);
        const bearer = await bearerCredential();
        const cookie = await cookieCredential();
        const second = await request.act({ headers: { ...bearer.headers, ...cookie.headers }, sessionId: bearer.sessionId }, { origin: evil, 'sec-fetch-site': 'cross-site' });
        expect(second.answer.status, second.answer.text).toBe(request.ok);
        expect(await second.changed()).toBe(true);
      });

      it('with HTTP Basic and no Origin → allowed (exempt)', async () => {
        const { answer, changed } = await request.act(await basicCredential(), {});
        expect(answer.status, answer.text).toBe(request.ok);
        expect(await changed()).toBe(true);
      });
    });

    it('lets safe methods through with a cookie and a foreign Origin', async () => {
      const session = await cookieLogin(server, userEmail);
      const cross = { cookie: session.cookie, origin: evil, 'sec-fetch-site': 'cross-site' };
      const tokens = await server.request('GET', '/auth/tokens', { headers: cross });
      expect(tokens.status, tokens.text).toBe(200);
      expect(Object.keys(tokens.body)).toContain(session.sessionId);
      expect(tokens.body[session.sessionId]).toMatchObject({ userName: userEmail, loginTime: expect.any(String), lastAccess: expect.any(String) });
      const user = await whoAmI(server, cross);
      expect(user.body.id).toBe(ctx.userId);
      const account = await server.request('GET', `/accounts/${ctx.userId}`, { headers: cross });
      expect(account.status, account.text).toBe(200);
    });
  });
});
