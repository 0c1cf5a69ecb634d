import { beforeAll, describe, expect, it } from 'vitest';
import { enrolTotp, passwordStep, uniqueEmail } from './helpers/mfa.js';
import { dialects, goodPassword, registerAndLogin, useTwoNodes, type TestServer } from './helpers/server.js';
import { auditEvents, claimsOf, passkeyLogin, PRESENT_ONLY, registerPasskey, softPasskey, type SoftPasskey } from './helpers/webauthn.js';

/**
 * Signing in with a passkey (CONTRACT §5), with assertions from a software authenticator of the test's own
 * (test/helpers/webauthn.ts): passwordless, as the second step after a password, and every refusal the browser
 * would never produce — on two nodes of one cluster (options on one, the answer on the other), on SQLite and PostgreSQL.
 */
describe.each(dialects)('passkey sign-in on %s, across two nodes', (dialect) => {
  // Both nodes serve one public origin, as behind a balancer: a ceremony begun on one may end on the other.
  const webauthn = { rpId: 'gatehouse.example', origins: ['https://gatehouse.example'] };
  const nodes = useTwoNodes(dialect, { config: { mfa: { webauthn }, lockout: { maxAttempts: 12 } } });
  let a: TestServer;
  let b: TestServer;
  beforeAll(() => {
    ({ a, b } = nodes);
  });

  const withPasskey = async (label: string): Promise<{ email: string; userId: string; passkey: SoftPasskey; passkeyId: string; recoveryCodes: string[] }> => {
    const email = uniqueEmail(label);
    const { userId, accessToken } = await registerAndLogin(a, email);
    const passkey = softPasskey(a);
    const created = await registerPasskey(a, accessToken, passkey);
    return { email, userId, passkey, passkeyId: created.id, recoveryCodes: created.recoveryCodes ?? [] };
  };

  it('passwordless: options with an empty allow-list on one node, the assertion on the other → OAuthToken with amr hwk+mfa', async () => {
    const user = await withPasskey('passwordless');
    const options = await a.request('POST', '/api/auth/passkey/options');
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({ rpId: 'gatehouse.example', userVerification: 'required', allowCredentials: [] });
    expect(Buffer.from(options.body.challenge, 'base64url')).toHaveLength(32);
    const login = await b.request('POST', '/api/auth/passkey/login', { json: { credential: user.passkey.get(options.body) } });
    expect(login.status, login.text).toBe(200);
    expect(login.body.userId).toBe(user.userId);
    expect(claimsOf(login.body.accessToken).amr).toEqual(['hwk', 'mfa']);
    const context = await a.request('GET', '/api/auth/context', { token: login.body.accessToken });
    expect(context.body.data.amr).toEqual(['hwk', 'mfa']);
    const listed = await a.request('GET', '/api/auth/passkeys', { token: login.body.accessToken });
    expect(listed.body[0].lastUsedAt).toBe(new Date(a.clock.now()).toISOString());
    expect((await auditEvents(a, user.userId, 'login.succeeded')).at(-1)?.data).toEqual({ method: 'passkey' });
  });

  it('takes an assertion without a user handle, and null where browsers report null (userHandle, authenticatorAttachment)', async () => {
    const user = await withPasskey('nulls');
    const options = await a.request('POST', '/api/auth/passkey/options');
    const credential = user.passkey.get(options.body);
    const login = await b.request('POST', '/api/auth/passkey/login', { json: { credential: { ...credential, authenticatorAttachment: null, response: { ...credential.response, userHandle: null } } } });
    expect(login.status, login.text).toBe(200);
    const { userHandle: _omitted, ...withoutHandle } = user.passkey.get((await a.request('POST', '/api/auth/passkey/options')).body).response;
    const noHandle = await b.request('POST', '/api/auth/passkey/login', { json: { credential: { ...credential, response: withoutHandle } } });
    expect(noHandle.status, noHandle.text).toBe(200);
    // A user handle that is not the passkey's account is refused.
    const foreignHandle = { ...user.passkey.get((await a.request('POST', '/api/auth/passkey/options')).body).response, userHandle: Buffer.from('someone-else').toString('base64url') };
    const refused = await b.request('POST', '/api/auth/passkey/login', { json: { credential: { ...credential, response: foreignHandle } } });
    expect(refused.status).toBe(401);
    expect((await auditEvents(a, user.userId, 'mfa.passkey-refused')).at(-1)?.data).toMatchObject({ reason: 'user-handle' });
  });

  it('an assertion posted twice is refused the second time (its challenge is used up), on either node', async () => {
    const user = await withPasskey('replay');
    const options = await a.request('POST', '/api/auth/passkey/options');
    const credential = user.passkey.get(options.body);
    expect((await a.request('POST', '/api/auth/passkey/login', { json: { credential } })).status).toBe(200);
    const again = await b.request('POST', '/api/auth/passkey/login', { json: { credential } });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('invalid-credentials');
    expect(again.body.detail).toMatch(/challenge/);
    expect((await auditEvents(a, user.userId, 'mfa.passkey-refused')).map((e) => (e.data as { reason: string }).reason)).toEqual(['challenge']);
  });

  it('takes one challenge exactly once when ten logins with it race on two nodes', async () => {
    const user = await withPasskey('race');
    const options = await a.request('POST', '/api/auth/passkey/options');
    const credential = user.passkey.get(options.body);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).request('POST', '/api/auth/passkey/login', { json: { credential } })));
    expect(answers.map((answer) => answer.status).sort(), answers.map((answer) => answer.text).join('\n')).toEqual([200, ...Array(9).fill(401)]);
  });

  it('refuses an expired challenge (older than mfa.challengeTtl)', async () => {
    const user = await withPasskey('expired');
    const options = await a.request('POST', '/api/auth/passkey/options');
    a.clock.advance(a.config.mfa.challengeTtl + 1);
    const late = await b.request('POST', '/api/auth/passkey/login', { json: { credential: user.passkey.get(options.body) } });
    expect(late.status).toBe(401);
    expect(late.body.detail).toMatch(/challenge/);
  });

  it('refuses, audits, and leaves the passkey usable: a wrong RP ID hash, no UV flag, another origin, a registration challenge, an unknown key', async () => {
    const user = await withPasskey('tampered');
    const refused = async (tamper: Parameters<typeof passkeyLogin>[2], reason: string) => {
      const answer = await passkeyLogin(a, user.passkey, tamper, b);
      expect(answer.status, answer.text).toBe(401);
      expect(answer.body.code).toBe('invalid-credentials');
      expect((await auditEvents(a, user.userId, 'mfa.passkey-refused')).at(-1)?.data).toMatchObject({ reason, purpose: 'login' });
    };
    await refused({ rpId: 'evil.example' }, 'rp-id');
    await refused({ flags: PRESENT_ONLY }, 'user-verification');
    await refused({ origin: 'https://evil.example' }, 'origin');
    await refused({ type: 'webauthn.create' }, 'malformed');
    // A challenge made for a registration does not answer a login.
    const { accessToken } = (await passkeyLogin(a, user.passkey)).body;
    const registration = await a.request('POST', '/api/auth/passkeys/options', { token: accessToken });
    const wrongPurpose = await a.request('POST', '/api/auth/passkey/login', { json: { credential: user.passkey.get(registration.body) } });
    expect(wrongPurpose.status).toBe(401);
    expect((await auditEvents(a, user.userId, 'mfa.passkey-refused')).at(-1)?.data).toMatchObject({ reason: 'challenge' });
    const stranger = softPasskey(a);
    const unknown = await passkeyLogin(a, stranger);
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('invalid-credentials');
    expect((await passkeyLogin(a, user.passkey)).status).toBe(200);
  });

  it('a signature counter that went backwards is refused, disables that passkey (audited), and it signs in no more', async () => {
    const user = await withPasskey('cloned');
    expect((await passkeyLogin(a, user.passkey, { signCount: 10 })).status).toBe(200);
    const clone = await passkeyLogin(a, user.passkey, { signCount: 7 });
    expect(clone.status).toBe(401);
    expect(clone.body.detail).toMatch(/counter/);
    const disabled = await auditEvents(a, user.userId, 'mfa.passkey-disabled');
    expect(disabled).toHaveLength(1);
    expect(disabled[0]!.data).toMatchObject({ passkeyId: user.passkeyId, storedCount: 10, presentedCount: 7 });
    // The genuine authenticator, counting on, is refused too: the credential is disabled until removed.
    const later = await passkeyLogin(a, user.passkey, { signCount: 11 });
    expect(later.status).toBe(401);
    expect((await auditEvents(a, user.userId, 'mfa.passkey-refused')).at(-1)?.data).toMatchObject({ reason: 'disabled' });
    // Disabling the only passkey does not make the password alone a way in again: a recovery code is asked for.
    const password = await a.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } });
    expect(password.body).toMatchObject({ code: 'mfa-required', methods: ['recovery'] });
    const token = (await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: password.body.mfaToken, method: 'recovery', code: user.recoveryCodes[0] } })).body.accessToken;
    expect((await a.request('GET', '/api/auth/passkeys', { token })).body[0]).toMatchObject({ id: user.passkeyId, disabled: true });
    expect((await a.request('GET', '/api/auth/mfa', { token })).body.passkeys).toBe(0);
    // With no recovery code left either, nothing can answer the second step: refused without a token (an administrator resets it).
    await a.app.services.database.db.deleteFrom('mfa_recovery_codes').where('account_id', '=', user.userId).execute();
    const stranded = await a.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } });
    expect(stranded.status).toBe(401);
    expect(stranded.body).toMatchObject({ code: 'mfa-required', methods: [] });
    expect(stranded.body).not.toHaveProperty('mfaToken');
  });

  it('an equal counter is refused as well (both non-zero); authenticators that keep no counter (always 0) are accepted', async () => {
    const user = await withPasskey('equal');
    expect((await passkeyLogin(a, user.passkey, { signCount: 3 })).status).toBe(200);
    expect((await passkeyLogin(a, user.passkey, { signCount: 3 })).status).toBe(401);
    const zero = await withPasskey('zero');
    expect((await passkeyLogin(a, zero.passkey, { signCount: 0 })).status).toBe(200);
    expect((await passkeyLogin(a, zero.passkey, { signCount: 0 })).status).toBe(200);
  });

  it('second step: a password login answers mfa-required with webauthn; the passkey finishes it (amr pwd+hwk+mfa) on the other node', async () => {
    const user = await withPasskey('second');
    const login = await a.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } });
    expect(login.status).toBe(401);
    expect(login.body).toMatchObject({ code: 'mfa-required', methods: ['recovery', 'webauthn'] });
    const options = await b.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken: login.body.mfaToken } });
    expect(options.status, options.text).toBe(200);
    expect(options.body.allowCredentials).toEqual([{ id: user.passkey.id, type: 'public-key', transports: ['internal'] }]);
    const verify = await b.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: login.body.mfaToken, method: 'webauthn', credential: user.passkey.get(options.body) } });
    expect(verify.status, verify.text).toBe(200);
    expect(claimsOf(verify.body.accessToken).amr).toEqual(['pwd', 'hwk', 'mfa']);
    // A passwordless challenge does not answer a second step, nor the other way round.
    const mfaToken = await passwordStep(a, user.email);
    const loginOptions = await a.request('POST', '/api/auth/passkey/options');
    const crossed = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn', credential: user.passkey.get(loginOptions.body) } });
    expect(crossed.body.code).toBe('invalid-mfa-code');
  });

  it('second step: another account\'s passkey, a tampered assertion or a missing credential are refused; wrong ones count toward lockout', async () => {
    const user = await withPasskey('second-refused');
    const other = await withPasskey('second-other');
    let mfaToken = await passwordStep(a, user.email);
    const answer = async (passkey: SoftPasskey, tamper = {}) => {
      const options = await a.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken } });
      return b.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn', credential: passkey.get(options.body, tamper) } });
    };
    const foreign = await answer(other.passkey);
    expect(foreign.status).toBe(401);
    expect(foreign.body.code).toBe('invalid-mfa-code');
    expect((await answer(user.passkey, { flags: PRESENT_ONLY })).body.code).toBe('invalid-mfa-code');
    const missing = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('credential');
    expect((await answer(user.passkey, { rpId: 'evil.example' })).body.code).toBe('invalid-mfa-code');
    // Nine more wrong answers (on fresh mfaTokens: each takes five) reach lockout.maxAttempts 12: the account is then
    // locked for every way in — the right passkey alone too.
    const codes: string[] = [];
    for (let i = 0; i < 9; i++) {
      if (i % 4 === 0) mfaToken = await passwordStep(a, user.email);
      codes.push((await answer(user.passkey, { origin: 'https://evil.example' })).body.code);
    }
    expect(codes).toEqual(Array(9).fill('invalid-mfa-code'));
    expect((await passkeyLogin(a, user.passkey)).body.code).toBe('account-locked');
    expect((await a.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } })).body.code).toBe('account-locked');
    expect(await auditEvents(a, user.userId, 'mfa.failed')).toHaveLength(12);
  });

  it('second step: an account without a usable passkey gets 409 for passkey options, not an empty allow-list any passkey could answer', async () => {
    const user = await enrolTotp(a, 'second-no-passkey');
    const mfaToken = await passwordStep(a, user.email);
    const options = await b.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken } });
    expect(options.status, options.text).toBe(409);
    expect(options.body.code).toBe('conflict');
    expect((await b.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken: 'nonsense' } })).body.code).toBe('invalid-token');
  });
});
