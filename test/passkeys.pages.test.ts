import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { uniqueEmail } from './helpers/mfa.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { claimsOf, registerPasskey, softPasskey, type SoftPasskey } from './helpers/webauthn.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const hiddenValue = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

/**
 * The passkey forms of the hosted pages as a browser's post reaches the server (CONTRACT §5), answered by a software
 * authenticator (test/helpers/webauthn.ts): the login page's "Sign in with a passkey", the second page's "Use a
 * passkey", the account page's add / rename / remove, the CSP that lets the passkey script run, and what a person
 * sees when one is refused. Chromium drives the same pages in passkeys.pages.browser.test.ts.
 */
describe('the passkey forms of the hosted pages', () => {
  let server: TestServer;
  let callback: { server: Server; url: string };
  let user: { email: string; userId: string; accessToken: string };
  let passkey: SoftPasskey;

  beforeAll(async () => {
    callback = await startCallbackApp();
    server = await startServer('sqlite', {
      config: {
        clients: [
          { clientID: 'web', callbackURL: callback.url, config: { tokenMethod: 'query' } },
          { clientID: 'no-passkeys', callbackURL: callback.url, config: { tokenMethod: 'query', disableStrategies: ['passkey'] } },
        ],
      },
    });
    const email = uniqueEmail('passkey-forms');
    user = { email, ...(await registerAndLogin(server, email)) };
    passkey = softPasskey(server);
    await registerPasskey(server, user.accessToken, passkey, 'Soft');
  });
  afterAll(async () => {
    await server?.close();
    callback?.server.close();
  });

  /** The form post of "Sign in with a passkey" with a fresh assertion of `key` (or the given credential text). */
  const passkeyLoginPost = async (clientID: string, credential?: string, lang = 'en') => {
    const options = await server.request('POST', '/api/auth/passkey/options');
    const text = credential ?? JSON.stringify(passkey.get(options.body));
    return server.request('POST', `/auth/login/passkey?clientID=${clientID}`, { body: form({ credential: text }), headers: { ...FORM, 'accept-language': lang } });
  };

  it('the login page offers "Sign in with a passkey" and lets the passkey script load and fetch; a client without passkeys does not', async () => {
    const page = await server.request('GET', '/auth/login?clientID=web');
    expect(page.text).toContain('data-passkey="login"');
    expect(page.text).toContain('action="/auth/login/passkey?clientID=web"');
    expect(page.text).toMatch(/<script src="\/assets\/passkey\.js\?v=[\w-]+" defer><\/script>/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'; connect-src 'self'");
    const without = await server.request('GET', '/auth/login?clientID=no-passkeys');
    expect(without.text).not.toContain('data-passkey');
    expect(without.headers.get('content-security-policy')).not.toContain('connect-src');
  });

  it('its post delivers the token to the client (amr hwk+mfa); a replayed, broken or disabled one shows the login page again', async () => {
    const signedIn = await passkeyLoginPost('web');
    expect(signedIn.status, signedIn.text).toBe(303);
    const location = new URL(signedIn.headers.get('location')!);
    expect(location.href.startsWith(callback.url)).toBe(true);
    expect(claimsOf(location.searchParams.get('token')!)).toMatchObject({ sub: user.userId, amr: ['hwk', 'mfa'] });

    const options = await server.request('POST', '/api/auth/passkey/options');
    const assertion = JSON.stringify(passkey.get(options.body));
    expect((await passkeyLoginPost('web', assertion)).status).toBe(303);
    const replayed = await passkeyLoginPost('web', assertion);
    expect(replayed.status).toBe(401);
    expect(replayed.text).toContain('This passkey was not accepted.');
    expect(replayed.text).toContain('data-passkey="login"');

    const broken = await passkeyLoginPost('web', '{"id": 1', 'de');
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('Dieser Passkey wurde nicht akzeptiert.');
    expect((await passkeyLoginPost('web', '')).status).toBe(400);

    const refused = await passkeyLoginPost('no-passkeys');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('This passkey was not accepted.');
  });

  it('the second page offers "Use a passkey"; without a credential or with another account\'s it shows again; the passkey finishes it', async () => {
    const first = await server.request('POST', '/auth/login?clientID=web', { body: form({ email: user.email, password: goodPassword }), headers: FORM });
    expect(first.status).toBe(200);
    expect(first.text).toContain('data-passkey="second-step"');
    expect(first.text).toContain('name="method" value="webauthn"');
    expect(first.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const mfaToken = hiddenValue(first.text, 'mfaToken')!;
    const post = (fields: Record<string, string>) => server.request('POST', '/auth/login/mfa?clientID=web', { body: form({ mfaToken, method: 'webauthn', ...fields }), headers: FORM });

    const missing = await post({});
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('This passkey was not accepted for this account.');
    expect(missing.text).toContain('data-passkey="second-step"');

    const stranger = await registerAndLogin(server, uniqueEmail('stranger'));
    const strangerKey = softPasskey(server);
    await registerPasskey(server, stranger.accessToken, strangerKey);
    const foreignOptions = await server.request('POST', '/api/auth/passkey/options');
    const foreign = await post({ credential: JSON.stringify(strangerKey.get(foreignOptions.body)) });
    expect(foreign.status).toBe(401);
    expect(foreign.text).toContain('This passkey was not accepted for this account.');

    const options = await server.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken } });
    const done = await post({ credential: JSON.stringify(passkey.get(options.body)) });
    expect(done.status, done.text).toBe(303);
    const token = new URL(done.headers.get('location')!).searchParams.get('token')!;
    expect(claimsOf(token).amr).toEqual(['pwd', 'hwk', 'mfa']);
  });

  it('the account page lists the passkeys; its forms add (first factor: codes once), refuse a repeat, rename, and remove with step-up', async () => {
    const email = uniqueEmail('account-forms');
    const { accessToken } = await registerAndLogin(server, email);
    const login = await server.request('POST', '/auth/cookie', { json: { auth_username: email, auth_password: goodPassword } });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const headers = { cookie, origin: server.url };
    const account = async () => (await server.request('GET', '/account', { headers })).text;
    const csrf = hiddenValue(await account(), 'csrf')!;
    const postForm = (path: string, fields: Record<string, string>) => server.request('POST', path, { body: form({ csrf, ...fields }), headers: { ...headers, ...FORM } });
    expect(await account()).toContain('No passkey yet.');

    const key = softPasskey(server);
    const creation = async () => (await server.request('POST', '/api/auth/passkeys/options', { headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })).body;
    const made = JSON.stringify(key.create(await creation()));
    const added = await postForm('/account/mfa/passkeys', { credential: made, name: 'Desk' });
    expect(added.status, added.text).toBe(200);
    expect(added.text).toContain('The passkey was added.');
    expect(added.text.match(/<li><code>/g)).toHaveLength(10);
    expect((await postForm('/account/mfa/passkeys', { credential: JSON.stringify(key.create(await creation())) })).text).toContain('This passkey is registered already.');
    const broken = await postForm('/account/mfa/passkeys', { credential: '{"type":"public-key"}' });
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('The passkey could not be added.');
    expect((await server.request('POST', '/account/mfa/passkeys', { body: form({ csrf: 'forged', credential: made }), headers: { ...headers, ...FORM } })).status).toBe(403);

    const [stored] = (await server.request('GET', '/api/auth/passkeys', { token: accessToken })).body;
    expect(await account()).toMatch(/<strong>Desk<\/strong>[\s\S]*never/);
    expect((await postForm('/account/mfa/passkeys/rename', { id: stored.id, name: 'Desk at home' })).text).toContain('The passkey was renamed.');
    expect(await account()).toContain('<strong>Desk at home</strong>');

    expect((await postForm('/account/mfa/passkeys/remove', { id: stored.id })).status).toBe(400);
    expect((await postForm('/account/mfa/passkeys/remove', { id: stored.id, password: 'wrong-password' })).status).toBe(401);
    const removed = await postForm('/account/mfa/passkeys/remove', { id: stored.id, password: goodPassword });
    expect(removed.text).toContain('The passkey was removed.');
    expect((await server.request('GET', '/api/auth/mfa', { token: accessToken })).body).toMatchObject({ passkeys: 0, recoveryCodesLeft: 0 });
    const again = await postForm('/account/mfa/passkeys/remove', { id: stored.id, password: goodPassword });
    expect(again.status).toBe(404);
    expect(again.text).toContain('This passkey does not exist (any more).');
  });

  it('the account page\'s step-up forms offer "Confirm with a passkey" when one is usable; its assertion is the proof, a bad one a page saying so', async () => {
    const email = uniqueEmail('step-up-forms');
    const { accessToken } = await registerAndLogin(server, email);
    const login = await server.request('POST', '/auth/cookie', { json: { auth_username: email, auth_password: goodPassword } });
    const headers = { cookie: login.headers.get('set-cookie')!.split(';')[0]!, origin: server.url };
    const account = async () => (await server.request('GET', '/account', { headers })).text;
    const csrf = hiddenValue(await account(), 'csrf')!;
    expect(await account()).not.toContain('data-passkey="step-up"');
    const key = softPasskey(server);
    const { id } = await registerPasskey(server, accessToken, key);
    const page = await account();
    // New recovery codes and the passkey's removal; no authenticator app, so no "turn off".
    expect(page.match(/data-passkey="step-up"/g)).toHaveLength(2);
    expect(page).toContain('Confirm with a passkey');
    expect(page).toContain('Confirm with your password, a current code, or a passkey.');
    const german = (await server.request('GET', '/account', { headers: { ...headers, 'accept-language': 'de' } })).text;
    expect(german).toContain('Mit einem Passkey bestätigen');

    const stepUp = async () => JSON.stringify(key.get((await server.request('POST', '/api/auth/passkeys/step-up/options', { headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })).body));
    const postForm = (path: string, fields: Record<string, string>) => server.request('POST', path, { body: form({ csrf, ...fields }), headers: { ...headers, ...FORM } });
    const used = await stepUp();
    const codes = await postForm('/account/mfa/recovery-codes', { credential: used });
    expect(codes.status, codes.text).toBe(200);
    expect(codes.text.match(/<li><code>/g)).toHaveLength(10);
    const replayed = await postForm('/account/mfa/passkeys/remove', { id, credential: used });
    expect(replayed.status).toBe(401);
    expect(replayed.text).toContain('This passkey was not accepted. Try another one, your password or a code.');
    const broken = await postForm('/account/mfa/passkeys/remove', { id, credential: '{"type":"public-key"}' });
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('This passkey was not accepted.');
    expect((await server.request('GET', '/api/auth/passkeys', { token: accessToken })).body).toHaveLength(1);
    const removed = await postForm('/account/mfa/passkeys/remove', { id, credential: await stepUp() });
    expect(removed.text).toContain('The passkey was removed.');
    expect((await server.request('GET', '/api/auth/passkeys', { token: accessToken })).body).toHaveLength(0);
  });
});

describe('with mfa.webauthn.enabled: false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { mfa: { webauthn: { enabled: false } }, clients: [{ clientID: 'web', callbackURL: 'http://127.0.0.1:9/callback' }] } });
  });
  afterAll(async () => server?.close());

  it('the login page offers no passkey, its post is refused, and the account page\'s passkey posts are 404', async () => {
    const page = await server.request('GET', '/auth/login?clientID=web');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('data-passkey');
    const credential = JSON.stringify(softPasskey(server).get({ challenge: 'AAAA' }));
    const refused = await server.request('POST', '/auth/login/passkey?clientID=web', { body: form({ credential }), headers: FORM });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('This passkey was not accepted.');
    expect((await server.request('POST', '/account/mfa/passkeys', { body: form({ csrf: 'x', credential: '{}' }), headers: FORM })).status).toBe(404);
  });
});

describe('the passkey forms spend the login budget (rateLimit.login)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { rateLimit: { enabled: true, window: '1m', login: 2 }, clients: [{ clientID: 'web', callbackURL: 'http://127.0.0.1:9/callback' }] } });
  });
  afterAll(async () => server?.close());

  it('"Sign in with a passkey", the account page\'s second step and passkey removal are limited like the password form', async () => {
    for (const path of ['/auth/login/passkey?clientID=web', '/account/login/mfa', '/account/mfa/passkeys/remove']) {
      server.clock.advance(60_000);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await server.request('POST', path, { body: form({ credential: '{}', mfaToken: 'gh_mfa_x', method: 'webauthn', csrf: 'x', id: 'x' }), headers: FORM })).status);
      expect(statuses.slice(0, 2)).not.toContain(429);
      expect(statuses[2], path).toBe(429);
    }
  });
});
