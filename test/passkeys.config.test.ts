import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from './helpers/mfa.js';
import { expectProblem } from './helpers/problems.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { claimsOf, passkeyLogin, registerPasskey, softPasskey } from './helpers/webauthn.js';

/** Registers and confirms an account without logging in (its login stops at the second step). */
async function registerConfirmed(server: TestServer, email: string): Promise<void> {
  expect((await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
  await fetch(server.smtp.linkIn(await server.smtp.waitFor((m) => m.to.includes(email)), '/auth/confirm/'));
}

/** `mfa.requiredFor` with a passkey as the factor set up, `clientId`, and `mfa.webauthn.enabled: false`. */
describe.each(dialects)('passkeys and configuration on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, {
      config: { mfa: { requiredFor: ['all'] }, clients: [{ clientID: 'app', callbackURL: 'http://127.0.0.1:9/cb' }] },
    });
  });
  afterAll(async () => server?.close());

  it('mfa.requiredFor: the enrolment-only mfaToken registers a passkey, whose assertion then finishes the login (amr pwd+hwk+mfa)', async () => {
    const email = uniqueEmail('required-passkey');
    await registerConfirmed(server, email);
    const login = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(login.body).toMatchObject({ code: 'mfa-required', methods: [], enroll: true });
    const { mfaToken } = login.body;
    const passkey = softPasskey(server);
    const created = await registerPasskey(server, mfaToken, passkey, 'Enrolled');
    expect(created.recoveryCodes).toHaveLength(10);
    // Listing, renaming and removal need a real session: the enrolment token opens enrolment only.
    expect((await server.request('GET', '/api/auth/passkeys', { token: mfaToken })).status).toBe(401);
    const options = await server.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken } });
    expect(options.body.allowCredentials).toHaveLength(1);
    const verify = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn', credential: passkey.get(options.body) } });
    expect(verify.status, verify.text).toBe(200);
    expect(claimsOf(verify.body.accessToken).amr).toEqual(['pwd', 'hwk', 'mfa']);
    expect((await server.request('GET', '/api/auth/mfa', { token: verify.body.accessToken })).body).toEqual({ totp: false, passkeys: 1, recoveryCodesLeft: 10, required: true });
    expectProblem(await server.request('POST', '/api/auth/passkeys/options', { token: mfaToken }), 401, 'invalid-token');
    // The passkey alone is a multi-factor login: mfa.requiredFor asks for nothing more.
    const passwordless = await passkeyLogin(server, passkey);
    expect(passwordless.status, passwordless.text).toBe(200);
  });

  it('clientId: a registered client is carried into the OAuthToken; an unknown one is 400 naming clientId, before the challenge is spent', async () => {
    const email = uniqueEmail('client-id');
    await registerConfirmed(server, email);
    const { mfaToken } = (await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).body;
    const passkey = softPasskey(server);
    await registerPasskey(server, mfaToken, passkey);
    const options = await server.request('POST', '/api/auth/passkey/options');
    const credential = passkey.get(options.body);
    expectProblem(await server.request('POST', '/api/auth/passkey/login', { json: { credential, clientId: 'no-such-client' } }), 400, 'invalid-request', { fields: ['clientId'] });
    const login = await server.request('POST', '/api/auth/passkey/login', { json: { credential, clientId: 'app' } });
    expect(login.status, login.text).toBe(200);
    expect(login.body.clientId).toBe('app');
  });
});

describe('mfa.webauthn.enabled: false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { mfa: { webauthn: { enabled: false } } } });
  });
  afterAll(async () => server?.close());

  it('the passkey routes (step-up options too) answer 404, the second step offers no webauthn, and the list is empty', async () => {
    const email = uniqueEmail('webauthn-off');
    const { accessToken } = await registerAndLogin(server, email);
    expectProblem(await server.request('POST', '/api/auth/passkeys/options', { token: accessToken }), 404, 'not-found');
    expectProblem(await server.request('POST', '/api/auth/passkey/options'), 404, 'not-found');
    expectProblem(await server.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken: 'gh_mfa_x' } }), 404, 'not-found');
    expectProblem(await server.request('POST', '/api/auth/passkeys/step-up/options', { token: accessToken }), 404, 'not-found');
    const credential = softPasskey(server).get({ challenge: 'AAAA' });
    expectProblem(await server.request('POST', '/api/auth/mfa/recovery-codes', { token: accessToken, json: { credential } }), 400, 'invalid-request', { fields: ['credential'] });
    expect((await server.request('GET', '/api/auth/passkeys', { token: accessToken })).body).toEqual([]);
  });
});
