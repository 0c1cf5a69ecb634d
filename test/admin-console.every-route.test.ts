import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionFormToken } from '../src/pages/form-token.js';
import { accountIdOf, BOOTSTRAP_PASSWORD, startConsoleServer, type ConsoleCast } from './helpers/admin-console.js';
import { Browser } from './helpers/browser.js';
import { expectProblem } from './helpers/groups.js';
import { addOidcClient } from './helpers/oidc-clients.js';
import { dialects, goodPassword, type TestServer } from './helpers/server.js';

/*
 * Every change the console can make, route by route, refused to whoever may not make it (issue 19 item 1, CONTRACT
 * §3): a plain user, the holder of `accounts:read` alone, and an `admin` acting on the `sysadmin` — each signed in
 * with a cookie session and posting its own session's real form token, so the refusal is the permission or rank
 * check and not CSRF. The list of routes is read from /openapi.json: a console route added without a line in
 * `attempts` fails this suite, so every new action gets its rank test.
 */

type Cast = ConsoleCast & { sysSessionId: string; sysEmail: string; rankedKeyId: string; inviteId: string };
type Who = 'alice' | 'reader' | 'carol';
/**
 * One attempt per console POST route: the path with its parameters filled in, a body the route's schema takes, and
 * who is refused (all three unless the route is one an admin may use: making API keys and invites is an admin's job).
 */
type Attempt = { path: string; form: Record<string, string>; refused?: Who[] };

/** What each console action is tried with: always aimed at the sysadmin, or at what only a sysadmin may change. */
function attempts(cast: Cast, carolEmail: string): Record<string, Attempt> {
  const sys = cast.sysId;
  return {
    '/admin/accounts/{id}/delete': { path: `/admin/accounts/${sys}/delete`, form: { confirmation: cast.sysEmail } },
    '/admin/accounts/{id}/confirm': { path: `/admin/accounts/${sys}/confirm`, form: {} },
    '/admin/accounts/{id}/sessions/end': { path: `/admin/accounts/${sys}/sessions/end`, form: { session: cast.sysSessionId } },
    '/admin/accounts/{id}/sessions/end-all': { path: `/admin/accounts/${sys}/sessions/end-all`, form: {} },
    '/admin/accounts/{id}/mfa/reset': { path: `/admin/accounts/${sys}/mfa/reset`, form: {} },
    '/admin/groups': { path: '/admin/groups', form: { name: 'everything', permissions: '*', intent: 'save' } },
    '/admin/groups/{id}': { path: '/admin/groups/sysadmin', form: { name: 'sysadmin', permissions: 'accounts:read', intent: 'save' } },
    '/admin/groups/{id}/delete': { path: '/admin/groups/sysadmin/delete', form: {} },
    '/admin/groups/{id}/members': { path: '/admin/groups/sysadmin/members', form: { account: carolEmail } },
    '/admin/groups/{id}/members/remove': { path: '/admin/groups/sysadmin/members/remove', form: { account: sys } },
    '/admin/keys/rotate': { path: '/admin/keys/rotate', form: {} },
    '/admin/api-keys': { path: '/admin/api-keys', form: {}, refused: ['alice', 'reader'] },
    '/admin/api-keys/{id}/revoke': { path: `/admin/api-keys/${cast.rankedKeyId}/revoke`, form: {} },
    '/admin/invites': { path: '/admin/invites', form: { count: '1' }, refused: ['alice', 'reader'] },
    '/admin/invites/{invite}/revoke': { path: `/admin/invites/${cast.inviteId}/revoke`, form: {}, refused: ['alice', 'reader'] },
    '/admin/clients': { path: '/admin/clients', form: { ...serviceClient, clientID: 'escalate' } },
    '/admin/clients/{clientID}': { path: '/admin/clients/ranked', form: { ...serviceClient, clientID: 'ranked', scopes: 'accounts:read' } },
    '/admin/clients/{clientID}/secret': { path: '/admin/clients/ranked/secret', form: {} },
    // Deleting a client asks clients:write only, as DELETE /clients does (docs/admin-console.md).
    '/admin/clients/{clientID}/delete': { path: '/admin/clients/ranked/delete', form: {}, refused: ['alice', 'reader'] },
  };
}

/** A client form the console takes: a service client allowed system:config, which no admin holds. */
const serviceClient = {
  callbackURL: 'https://ranked.example/cb', tokenMethod: 'query', oidc: 'on', grantTypes: 'client_credentials',
  tokenEndpointAuthMethod: 'client_secret_basic', scopes: 'system:config',
};

/** The console's POST routes as /openapi.json lists them, without the sign-in's own. */
async function consolePostRoutes(server: TestServer): Promise<string[]> {
  const doc = (await server.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .filter(([path, operations]) => path.startsWith('/admin') && 'post' in operations && !path.startsWith('/admin/sign-'))
    .map(([path]) => path)
    .sort();
}

/** Everything a refused action could have changed, read straight from the database. */
async function snapshot(server: TestServer): Promise<unknown> {
  const db = server.app.services.database.db;
  const rows = async (table: 'accounts' | 'memberships' | 'groups' | 'permissions' | 'signing_keys' | 'invites' | 'clients') => db.selectFrom(table).selectAll().execute();
  const live = await db.selectFrom('sessions').select('id').where('revoked_at', 'is', null).execute();
  const tables = { accounts: await rows('accounts'), memberships: await rows('memberships'), groups: await rows('groups'), permissions: await rows('permissions'), keys: await rows('signing_keys'), invites: await rows('invites'), clients: await rows('clients') };
  return { ...tables, live: live.map((session) => session.id).sort() };
}

describe.each(dialects)('admin console: every action refused above the caller’s rank (%s)', (dialect) => {
  let cast: Cast;
  const browsers: Record<Who, { browser: Browser; csrf: string }> = {} as never;

  /** Signs in on the console's form and works out the session's form token as the server does. */
  const signedIn = async (login: string, password = goodPassword): Promise<{ browser: Browser; csrf: string }> => {
    const browser = new Browser(cast.server);
    const page = await browser.request('GET', '/admin/sign-in');
    const token = /name="form_token" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const answer = await browser.request('POST', '/admin/sign-in', { form: { login, password, form_token: token } });
    expect(answer.status, answer.text).toBe(303);
    const accountId = (await accountIdOf(cast.server, login))!;
    const session = await cast.server.app.services.database.db.selectFrom('sessions').select('id').where('account_id', '=', accountId)
      .where('method', '=', 'cookie').where('revoked_at', 'is', null).orderBy('login_time', 'desc').executeTakeFirstOrThrow();
    return { browser, csrf: sessionFormToken(cast.server.app.services.serverKey, session.id) };
  };

  beforeAll(async () => {
    const started = await startConsoleServer(dialect, {}, 'rank');
    const db = started.server.app.services.database.db;
    const sysSession = await db.selectFrom('sessions').select('id').where('account_id', '=', started.sysId).executeTakeFirstOrThrow();
    const sys = await db.selectFrom('accounts').select('email').where('id', '=', started.sysId).executeTakeFirstOrThrow();
    // The typed confirmation is right, so a refusal is the rank check and not the confirmation's.
    // An API key the sysadmin made and put in the sysadmin group: above an admin's rank.
    const key = await started.server.request('POST', '/accounts/create-anonymous', { token: started.sysToken });
    expect((await started.server.request('PUT', `/groups/sysadmin/accounts/${key.body.accountID}`, { token: started.sysToken })).status).toBe(204);
    expect((await started.server.request('POST', '/invites', { token: started.sysToken, json: { count: 1 } })).status).toBe(201);
    const invite = (await started.server.request('GET', '/invites', { token: started.sysToken })).body._embedded['ec:invite'][0];
    await addOidcClient(started.server, 'ranked', { redirectUris: [], grantTypes: ['client_credentials'], scopes: ['system:config'] }, 'ranked-secret-0123456789abcdef-0123456789');
    cast = { ...started, sysSessionId: sysSession.id, sysEmail: sys.email!, rankedKeyId: key.body.accountID, inviteId: invite.id };
    browsers.alice = await signedIn(cast.alice.email);
    browsers.reader = await signedIn(cast.reader.email);
    browsers.carol = await signedIn(cast.carol.email);
  });
  afterAll(async () => cast?.server.close());

  it('has an attempt for every console POST route /openapi.json lists (a new route needs its line here)', async () => {
    expect(Object.keys(attempts(cast, cast.carol.email)).sort()).toEqual(await consolePostRoutes(cast.server));
  });

  it.each(['alice', 'reader', 'carol'] as const)('refuses %s every action above it with 403 and changes nothing, though the form token is real', async (who) => {
    const before = await snapshot(cast.server);
    const { browser, csrf } = browsers[who];
    for (const [route, attempt] of Object.entries(attempts(cast, cast.carol.email))) {
      if (!(attempt.refused ?? ['alice', 'reader', 'carol']).includes(who)) continue;
      const answer = await browser.request('POST', attempt.path, { form: { csrf, ...attempt.form } });
      expect(answer.status, `${who} ${route}: ${answer.text}`).toBe(403);
      // A form the console draws again (the group editor) shows the refusal on its page; the rest answer problem+json.
      if (!answer.headers.get('content-type')?.startsWith('text/html')) expectProblem(answer, 403, 'forbidden');
    }
    expect(await snapshot(cast.server)).toEqual(before);
  });

  it('takes the same kind of post from the sysadmin: the refusals above are permission and rank, not a broken route', async () => {
    const { browser, csrf } = await signedIn('admin', BOOTSTRAP_PASSWORD);
    const confirm = await browser.request('POST', `/admin/accounts/${cast.carol.userId}/sessions/end-all`, { form: { csrf } });
    expect(confirm.status, confirm.text).toBe(303);
    expect(await cast.server.app.services.sessions.listLive(cast.carol.userId)).toEqual([]);
  });
});
