import { beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, enrolTotp, oathtool, passwordStep, STEP, uniqueEmail } from './helpers/mfa.js';
import { dialects, goodPassword, registerAndLogin, useTwoNodes, type TestServer } from './helpers/server.js';


/**
 * The second step on every password way in (CONTRACT §5): API login, `POST /auth/cookie`, HTTP Basic — with codes
 * computed by Debian's oathtool, on two nodes of one cluster (the login on one, the code on the other).
 */
describe.each(dialects)('sign-in with a second factor on %s, across two nodes', (dialect) => {
  const nodes = useTwoNodes(dialect, { config: { httpBasic: { enabled: true }, lockout: { maxAttempts: 4 } } });
  let a: TestServer;
  let b: TestServer;
  beforeAll(() => {
    ({ a, b } = nodes);
  });

  it('API login: 401 mfa-required with a single-use mfaToken; oathtool\'s code on the other node finishes with an OAuthToken carrying amr', async () => {
    const user = await enrolTotp(a);
    const login = await a.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } });
    expect(login.status).toBe(401);
    expect(login.headers.get('x-error-code')).toBe('mfa-required');
    expect(login.headers.get('content-type')).toContain('application/problem+json');
    expect(login.body).toMatchObject({ code: 'mfa-required', methods: ['totp', 'recovery'] });
    expect(login.body.mfaToken).toMatch(/^gh_mfa_[A-Za-z0-9_-]{43}$/);
    expect(login.body).not.toHaveProperty('accessToken');
    // The mfaToken is no credential anywhere else.
    expect((await a.request('GET', '/api/auth/account', { token: login.body.mfaToken })).status).toBe(401);

    const verify = await b.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: login.body.mfaToken, method: 'totp', code: oathtool(user.secret, b.clock.now()) } });
    expect(verify.status, verify.text).toBe(200);
    expect(verify.body.userId).toBe(user.userId);
    const account = await a.request('GET', '/api/auth/account', { token: verify.body.accessToken });
    expect(account.status).toBe(200);
    expect(claimsOf(verify.body.accessToken).amr).toEqual(['pwd', 'otp', 'mfa']);
    const refreshed = await b.request('POST', '/api/auth/refresh', { json: { refreshToken: verify.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(claimsOf(refreshed.body.accessToken).amr).toEqual(['pwd', 'otp', 'mfa']);
    const context = await a.request('GET', '/api/auth/context', { token: refreshed.body.accessToken });
    expect(context.body.data.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claimsOf(context.body.authorization.accessToken).amr).toEqual(['pwd', 'otp', 'mfa']);

    // Spent: the same mfaToken again, even with a fresh code, on either node.
    a.clock.advance(STEP);
    const again = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: login.body.mfaToken, method: 'totp', code: oathtool(user.secret, a.clock.now()) } });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('invalid-token');
  });

  it('refuses a code used before (on the other node), a code two steps old, and a wrong code — each invalid-mfa-code, nothing started', async () => {
    const user = await enrolTotp(a);
    const code = oathtool(user.secret, a.clock.now());
    const first = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(a, user.email), method: 'totp', code } });
    expect(first.status).toBe(200);
    const token = await passwordStep(b, user.email);
    for (const wrong of [code, oathtool(user.secret, a.clock.now() - 2 * STEP), '000000']) {
      const refused = await b.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: token, method: 'totp', code: wrong } });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('invalid-mfa-code');
      expect(refused.body).not.toHaveProperty('accessToken');
    }
    // Wrong codes did not spend the token: the right one still finishes it.
    a.clock.advance(STEP);
    const right = await b.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: token, method: 'totp', code: oathtool(user.secret, a.clock.now()) } });
    expect(right.status, right.text).toBe(200);
  });

  it('takes one mfaToken exactly once when four verifications with its right code race on two nodes', async () => {
    const user = await enrolTotp(a);
    const token = await passwordStep(a, user.email);
    const code = oathtool(user.secret, a.clock.now());
    // Four, not more: the three losers count as wrong codes, and a fourth would begin the lock (lockout.maxAttempts 4),
    // which refuses even the winner when it lands before the winner's clean-up (steps/lockout.ts).
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) =>
      (i % 2 ? a : b).request('POST', '/api/auth/mfa/verify', { json: { mfaToken: token, method: 'totp', code } })));
    const seen = answers.map((answer) => `${answer.status} ${answer.body?.code ?? ''}`).join(', ');
    expect(answers.filter((answer) => answer.status === 200), seen).toHaveLength(1);
    // The others presented a code already taken: wrong codes, counted toward the lockout.
    const refusals = answers.filter((answer) => answer.status !== 200).map((answer) => answer.body.code);
    expect(refusals.every((code) => ['invalid-mfa-code', 'invalid-token'].includes(code)), seen).toBe(true);
  });

  it('a recovery code finishes the login once; the same code again is refused', async () => {
    const user = await enrolTotp(a);
    const recovery = user.recoveryCodes[3]!;
    const used = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(a, user.email), method: 'recovery', code: recovery } });
    expect(used.status, used.text).toBe(200);
    const again = await b.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(b, user.email), method: 'recovery', code: recovery } });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('invalid-mfa-code');
    expect((await a.request('GET', '/api/auth/mfa', { token: used.body.accessToken })).body).toMatchObject({ totp: true, recoveryCodesLeft: 9, required: false });
  });

  it('POST /auth/cookie stops at the second step too; verify then sets the auth cookie, which signs the browser in', async () => {
    const user = await enrolTotp(a);
    const form = new URLSearchParams({ auth_username: user.email, auth_password: goodPassword }).toString();
    const login = await a.request('POST', '/auth/cookie', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(login.status).toBe(401);
    expect(login.body.code).toBe('mfa-required');
    expect(login.headers.get('set-cookie')).toBeNull();
    const verify = await b.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: login.body.mfaToken, method: 'totp', code: oathtool(user.secret, a.clock.now()) } });
    expect(verify.status, verify.text).toBe(200);
    expect(verify.body.id).toBe(user.userId);
    const cookie = verify.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${a.config.cookie.name}=`));
    const me = await a.request('GET', '/auth/user', { headers: { cookie: cookie.split(';')[0]! } });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.userId);
  });

  it('HTTP Basic is refused for an account with a second factor (403 login-method-disabled), and allowed without', async () => {
    const user = await enrolTotp(a);
    const basic = (email: string) => ({ authorization: `Basic ${Buffer.from(`${email}:${goodPassword}`).toString('base64')}` });
    const refused = await a.request('GET', '/auth/basic', { headers: basic(user.email) });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('login-method-disabled');
    const plain = uniqueEmail('basic');
    await registerAndLogin(a, plain);
    expect((await a.request('GET', '/auth/basic', { headers: basic(plain) })).status).toBe(200);
    // And a one-factor login's token says so.
    const oneFactor = await a.request('POST', '/api/auth/login', { json: { email: plain, password: goodPassword } });
    expect(claimsOf(oneFactor.body.accessToken).amr).toEqual(['pwd']);
  });

  it('wrong codes count toward the account\'s lockout: past lockout.maxAttempts even the right code is refused (account-locked)', async () => {
    const user = await enrolTotp(a);
    for (let attempt = 0; attempt < 4; attempt++) {
      const token = await passwordStep(attempt % 2 ? a : b, user.email);
      const wrong = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: token, method: 'totp', code: '000000' } });
      expect(wrong.body.code).toBe('invalid-mfa-code');
    }
    const locked = await b.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('account-locked');
  });

  it('a right password does not clear the count wrong codes built (no unlimited guessing by logging in again)', async () => {
    const user = await enrolTotp(a);
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(a, user.email), method: 'totp', code: '111111' } });
      expect(wrong.body.code).toBe('invalid-mfa-code');
    }
    const fourth = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(a, user.email), method: 'totp', code: '222222' } });
    expect(fourth.body.code).toBe('invalid-mfa-code');
    expect((await a.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } })).body.code).toBe('account-locked');
  });

  it('bad input to verify names the field and spends nothing', async () => {
    const user = await enrolTotp(a);
    const token = await passwordStep(a, user.email);
    const cases: [unknown, string][] = [
      [{ mfaToken: token, method: 'totp' }, 'code'],
      [{ mfaToken: token, method: 'sms', code: '123456' }, 'method'],
      [{ method: 'totp', code: '123456' }, 'mfaToken'],
      [{ mfaToken: token, method: 'webauthn' }, 'credential'],
    ];
    for (const [json, field] of cases) {
      const answer = await a.request('POST', '/api/auth/mfa/verify', { json });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    // A foreign page's form post (login CSRF: it would set the auth cookie of a cookie sign-in) is refused, spending nothing.
    const form = new URLSearchParams({ mfaToken: token, method: 'totp', code: oathtool(user.secret, a.clock.now()) }).toString();
    const foreign = await a.request('POST', '/api/auth/mfa/verify', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' } });
    // 415 while this route parses no form bodies at all; 403 (the login-CSRF rule) should it ever take them.
    expect([403, 415]).toContain(foreign.status);
    const unknown = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: 'gh_mfa_nope', method: 'totp', code: '123456' } });
    expect(unknown.body.code).toBe('invalid-token');
    const right = await a.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: token, method: 'totp', code: oathtool(user.secret, a.clock.now()) } });
    expect(right.status, right.text).toBe(200);
  });
});
