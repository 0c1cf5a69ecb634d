import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIDO2_PRESENT_ONLY, fido2Login, fido2Passkey, registerFido2Passkey, type Fido2Passkey } from './helpers/fido2-python.js';
import { passwordStep, uniqueEmail } from './helpers/mfa.js';
import { expectProblem } from './helpers/problems.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { auditEvents, claimsOf } from './helpers/webauthn.js';

/**
 * Passkeys checked by an independent authenticator (issue 17 item 7): registrations and assertions built by Debian's
 * python3-fido2 (test/helpers/fido2-authenticator.py) — not by the library under test, nor by the test's own
 * hand-built authenticator. The good ones must be accepted (which proves the script right); the ones no browser sends
 * — another RP ID's hash, no user-verified flag, a counter that went backwards — are refused with CONTRACT §5's
 * codes and store nothing. On SQLite and PostgreSQL.
 */
describe.each(dialects)('passkeys from python3-fido2 on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { mfa: { webauthn: { rpId: 'gatehouse.example', origins: ['https://gatehouse.example'] } } } });
  });
  afterAll(async () => server?.close());

  const withPasskey = async (label: string): Promise<{ email: string; userId: string; passkey: Fido2Passkey; passkeyId: string }> => {
    const email = uniqueEmail(label);
    const { userId, accessToken } = await registerAndLogin(server, email);
    const passkey = fido2Passkey(server);
    const created = await registerFido2Passkey(server, accessToken, passkey);
    expect(created.recoveryCodes).toHaveLength(10);
    return { email, userId, passkey, passkeyId: created.id };
  };
  const refusals = async (userId: string) => (await auditEvents(server, userId, 'mfa.passkey-refused')).map((event) => event.data);

  it('accepts its registration (attestation none), its passwordless assertion (amr hwk+mfa) and its second step (pwd+hwk+mfa)', async () => {
    const user = await withPasskey('fido2-good');
    expect(user.passkey.version).toMatch(/^\d+\.\d+/);
    const login = await fido2Login(server, user.passkey);
    expect(login.status, login.text).toBe(200);
    expect(login.body.userId).toBe(user.userId);
    expect(claimsOf(login.body.accessToken).amr).toEqual(['hwk', 'mfa']);
    const mfaToken = await passwordStep(server, user.email);
    const options = await server.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken } });
    expect(options.body.allowCredentials).toEqual([expect.objectContaining({ id: user.passkey.key!.credentialId })]);
    const verify = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn', credential: await user.passkey.get(options.body) } });
    expect(verify.status, verify.text).toBe(200);
    expect(claimsOf(verify.body.accessToken).amr).toEqual(['pwd', 'hwk', 'mfa']);
    const stored = await server.app.services.database.db.selectFrom('passkeys').select(['sign_count']).where('id', '=', user.passkeyId).executeTakeFirstOrThrow();
    expect(Number(stored.sign_count)).toBe(2);
  });

  it('refuses a registration with another RP ID\'s hash or without user verification: 400 naming credential, nothing stored', async () => {
    const { userId, accessToken } = await registerAndLogin(server, uniqueEmail('fido2-register'));
    const passkey = fido2Passkey(server);
    for (const tamper of [{ rpId: 'evil.example' }, { flags: FIDO2_PRESENT_ONLY }]) {
      const options = await server.request('POST', '/api/auth/passkeys/options', { token: accessToken });
      const refused = await server.request('POST', '/api/auth/passkeys', { token: accessToken, json: { credential: await passkey.create(options.body, tamper, false) } });
      expectProblem(refused, 400, 'invalid-request', { fields: ['credential'] });
    }
    const stored = await server.app.services.database.db.selectFrom('passkeys').select('id').where('account_id', '=', userId).execute();
    expect(stored).toEqual([]);
    expect((await auditEvents(server, userId, 'mfa.failed')).map((event) => event.data)).toEqual([
      expect.objectContaining({ step: 'register', reason: 'rp-id' }),
      expect.objectContaining({ step: 'register', reason: 'user-verification' }),
    ]);
  });

  it('refuses a login assertion with another RP ID\'s hash or without user verification (401 invalid-credentials, audited); the passkey still works', async () => {
    const user = await withPasskey('fido2-login');
    for (const tamper of [{ rpId: 'evil.example' }, { flags: FIDO2_PRESENT_ONLY }]) expectProblem(await fido2Login(server, user.passkey, tamper), 401, 'invalid-credentials');
    expect(await refusals(user.userId)).toEqual([
      expect.objectContaining({ reason: 'rp-id', purpose: 'login' }),
      expect.objectContaining({ reason: 'user-verification', purpose: 'login' }),
    ]);
    expect((await fido2Login(server, user.passkey)).status).toBe(200);
  });

  it('refuses the same on the second step (401 invalid-mfa-code); the right assertion then finishes that sign-in', async () => {
    const user = await withPasskey('fido2-second');
    const mfaToken = await passwordStep(server, user.email);
    const answer = async (tamper = {}) => {
      const options = await server.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken } });
      return server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn', credential: await user.passkey.get(options.body, tamper) } });
    };
    expectProblem(await answer({ rpId: 'evil.example' }), 401, 'invalid-mfa-code');
    expectProblem(await answer({ flags: FIDO2_PRESENT_ONLY }), 401, 'invalid-mfa-code');
    expect((await auditEvents(server, user.userId, 'mfa.failed')).length).toBe(2);
    const finished = await answer();
    expect(finished.status, finished.text).toBe(200);
  });

  it('a counter lower than the stored one is refused and disables the passkey (audited); the genuine counter is then refused too', async () => {
    const user = await withPasskey('fido2-counter');
    expect((await fido2Login(server, user.passkey, { signCount: 20 })).status).toBe(200);
    const clone = await fido2Login(server, user.passkey, { signCount: 19 });
    expectProblem(clone, 401, 'invalid-credentials');
    expect(clone.body.detail).toMatch(/counter/);
    expect((await auditEvents(server, user.userId, 'mfa.passkey-disabled')).map((event) => event.data)).toEqual([
      expect.objectContaining({ passkeyId: user.passkeyId, storedCount: 20, presentedCount: 19 }),
    ]);
    expectProblem(await fido2Login(server, user.passkey, { signCount: 21 }), 401, 'invalid-credentials');
    expect((await refusals(user.userId)).at(-1)).toMatchObject({ reason: 'disabled' });
  });
});
