import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolTotp, oathtool, passwordStep, STEP, uniqueEmail } from './helpers/mfa.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/** Setting up and removing TOTP over HTTP (CONTRACT §5), step-up, and `mfa.requiredFor`'s enrolment-only mfaToken. */
describe('TOTP enrolment, removal and step-up over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite');
  });
  afterAll(async () => server?.close());

  it('set-up answers secret, otpauth URL and QR code; not active (login still one step) until the first code confirms it', async () => {
    const email = uniqueEmail('enrol');
    const { accessToken } = await registerAndLogin(server, email);
    const setup = await server.request('POST', '/api/auth/mfa/totp', { token: accessToken });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauthUrl).toContain(`secret=${setup.body.secret}`);
    expect(setup.body.qrSvg).toMatch(/^<svg/);
    expect((await server.request('GET', '/api/auth/mfa', { token: accessToken })).body).toEqual({ totp: false, passkeys: 0, recoveryCodesLeft: 0, required: false });
    expect((await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).status).toBe(200);
    const wrong = await server.request('POST', '/api/auth/mfa/totp/confirm', { token: accessToken, json: { code: '000000' } });
    expect(wrong.body.code).toBe('invalid-mfa-code');
    const confirm = await server.request('POST', '/api/auth/mfa/totp/confirm', { token: accessToken, json: { code: oathtool(setup.body.secret, server.clock.now()) } });
    expect(confirm.status).toBe(200);
    expect(confirm.body.recoveryCodes).toHaveLength(10);
    expect((await server.request('GET', '/api/auth/mfa', { token: accessToken })).body).toEqual({ totp: true, passkeys: 0, recoveryCodesLeft: 10, required: false });
    await passwordStep(server, email);
    // A second set-up while one is active is refused: removal (with step-up) comes first.
    expect((await server.request('POST', '/api/auth/mfa/totp', { token: accessToken })).body.code).toBe('conflict');
  });

  it('needs a signed-in caller: no token, or a plain mfaToken (not for enrolment), is refused', async () => {
    expect((await server.request('POST', '/api/auth/mfa/totp')).status).toBe(401);
    expect((await server.request('GET', '/api/auth/mfa')).status).toBe(401);
    const user = await enrolTotp(server);
    const mfaToken = await passwordStep(server, user.email);
    const refused = await server.request('POST', '/api/auth/mfa/totp', { token: mfaToken });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid-token');
  });

  it('turning TOTP off needs step-up: nothing (400 naming password), a wrong password, a wrong code are refused; a right code removes it and the recovery codes', async () => {
    const user = await enrolTotp(server);
    const session = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(server, user.email), method: 'recovery', code: user.recoveryCodes[0] } });
    const token = session.body.accessToken;
    const none = await server.request('DELETE', '/api/auth/mfa/totp', { token, json: {} });
    expect(none.status).toBe(400);
    expect(none.body.errors[0].field).toBe('password');
    expect((await server.request('DELETE', '/api/auth/mfa/totp', { token, json: { password: 'not-it-at-all' } })).body.code).toBe('invalid-credentials');
    expect((await server.request('DELETE', '/api/auth/mfa/totp', { token, json: { code: '000000' } })).body.code).toBe('invalid-mfa-code');
    expect((await server.request('GET', '/api/auth/mfa', { token })).body.totp).toBe(true);
    const removed = await server.request('DELETE', '/api/auth/mfa/totp', { token, json: { code: oathtool(user.secret, server.clock.now()) } });
    expect(removed.status).toBe(204);
    expect((await server.request('GET', '/api/auth/mfa', { token })).body).toMatchObject({ totp: false, recoveryCodesLeft: 0 });
    expect((await server.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } })).status).toBe(200);
    expect((await server.request('DELETE', '/api/auth/mfa/totp', { token, json: { password: goodPassword } })).status).toBe(404);
  });

  it('new recovery codes need step-up and void the old set', async () => {
    const user = await enrolTotp(server);
    const session = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(server, user.email), method: 'totp', code: oathtool(user.secret, server.clock.now()) } });
    const token = session.body.accessToken;
    expect((await server.request('POST', '/api/auth/mfa/recovery-codes', { token, json: { password: 'wrong-password' } })).body.code).toBe('invalid-credentials');
    const fresh = await server.request('POST', '/api/auth/mfa/recovery-codes', { token, json: { password: goodPassword } });
    expect(fresh.status).toBe(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    const old = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(server, user.email), method: 'recovery', code: user.recoveryCodes[1] } });
    expect(old.body.code).toBe('invalid-mfa-code');
    const renewed = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(server, user.email), method: 'recovery', code: fresh.body.recoveryCodes[0] } });
    expect(renewed.status).toBe(200);
  });
});

describe('mfa.requiredFor: an account without a factor enrols with its enrolment-only mfaToken, then finishes the login', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('postgres', { config: { mfa: { requiredFor: ['all'] } } });
  });
  afterAll(async () => server?.close());

  it('login → mfa-required {methods: [], enroll: true}; the token opens only the enrolment routes; a code of the new factor finishes', async () => {
    const email = uniqueEmail('required');
    const registered = await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } });
    expect(registered.status).toBe(201);
    await fetch(server.smtp.linkIn(await server.smtp.waitFor((m) => m.to.includes(email)), '/auth/confirm/'));
    const login = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(login.status).toBe(401);
    expect(login.body).toMatchObject({ code: 'mfa-required', methods: [], enroll: true });
    const mfaToken = login.body.mfaToken;
    expect((await server.request('GET', '/api/auth/account', { token: mfaToken })).status).toBe(401);
    expect((await server.request('GET', '/api/auth/mfa', { token: mfaToken })).status).toBe(401);
    const setup = await server.request('POST', '/api/auth/mfa/totp', { token: mfaToken });
    expect(setup.status, setup.text).toBe(200);
    const confirm = await server.request('POST', '/api/auth/mfa/totp/confirm', { token: mfaToken, json: { code: oathtool(setup.body.secret, server.clock.now()) } });
    expect(confirm.status).toBe(200);
    server.clock.advance(STEP);
    const verify = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'totp', code: oathtool(setup.body.secret, server.clock.now()) } });
    expect(verify.status, verify.text).toBe(200);
    const mfa = await server.request('GET', '/api/auth/mfa', { token: verify.body.accessToken });
    expect(mfa.body).toMatchObject({ totp: true, required: true, recoveryCodesLeft: 10 });
    // Spent: the enrolment token no longer opens enrolment.
    expect((await server.request('POST', '/api/auth/mfa/totp', { token: mfaToken })).status).toBe(401);
  });
});

describe('DELETE /accounts/{id}/mfa: an administrator removes every factor, within rank, audited, the owner mailed', () => {
  let server: TestServer;
  let sysadmin: string;
  beforeAll(async () => {
    server = await startServer('sqlite', { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    sysadmin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } })).body.accessToken;
  });
  afterAll(async () => server?.close());

  it('refuses callers without accounts:write (the owner included) and admins below the account\'s rank', async () => {
    const victim = await enrolTotp(server, 'reset-victim');
    const plain = await registerAndLogin(server, uniqueEmail('plain'));
    expect((await server.request('DELETE', `/accounts/${victim.userId}/mfa`)).status).toBe(401);
    expect((await server.request('DELETE', `/accounts/${victim.userId}/mfa`, { token: plain.accessToken })).body.code).toBe('forbidden');
    const own = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(server, victim.email), method: 'recovery', code: victim.recoveryCodes[0] } });
    expect((await server.request('DELETE', `/accounts/${victim.userId}/mfa`, { token: own.body.accessToken })).body.code).toBe('forbidden');
    const deputyEmail = uniqueEmail('deputy');
    const deputy = await registerAndLogin(server, deputyEmail);
    await server.request('PUT', '/api/auth/admin/account', { token: sysadmin, json: { id: deputy.userId, roles: ['admin'] } });
    const deputyToken = (await server.request('POST', '/api/auth/login', { json: { email: deputyEmail, password: goodPassword } })).body.accessToken;
    const adminId = (await server.request('GET', '/api/auth/account', { token: sysadmin })).body.id;
    const upward = await server.request('DELETE', `/accounts/${adminId}/mfa`, { token: deputyToken });
    expect(upward.status).toBe(403);
    expect((await server.request('DELETE', '/accounts/no-such-account/mfa', { token: sysadmin })).status).toBe(404);
    // Nothing was removed by the refused calls.
    await passwordStep(server, victim.email);
  });

  it('a sysadmin\'s reset removes TOTP and recovery codes, records mfa.reset, and mails the owner', async () => {
    const victim = await enrolTotp(server, 'reset-done');
    const reset = await server.request('DELETE', `/accounts/${victim.userId}/mfa`, { token: sysadmin });
    expect(reset.status).toBe(204);
    const mail = await server.smtp.waitFor((m) => m.to.includes(victim.email) && m.subject.includes('two-step sign-in was reset'));
    expect(mail.text).toContain('/account');
    const login = await server.request('POST', '/api/auth/login', { json: { email: victim.email, password: goodPassword } });
    expect(login.status).toBe(200);
    expect((await server.request('GET', '/api/auth/mfa', { token: login.body.accessToken })).body).toMatchObject({ totp: false, recoveryCodesLeft: 0 });
    const events = await server.app.services.database.db.selectFrom('audit_events').select(['type', 'data']).where('account_id', '=', victim.userId).where('type', '=', 'mfa.reset').execute();
    expect(events).toHaveLength(1);
  });
});

describe('step-up of password and e-mail changes and deletion for an account with a second factor', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('postgres');
  });
  afterAll(async () => server?.close());

  /** An enrolled account signed in through its second step: its access token. */
  const signedIn = async () => {
    const user = await enrolTotp(server, 'step-up');
    const done = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(server, user.email), method: 'recovery', code: user.recoveryCodes[9] } });
    return { ...user, token: done.body.accessToken as string };
  };

  it('password change: nothing is refused naming currentPassword; a wrong code is refused; a right code (no password) changes it', async () => {
    const user = await signedIn();
    const none = await server.request('PUT', '/api/auth/account', { token: user.token, json: { password: 'Brand-New-Pass-77' } });
    expect(none.status).toBe(400);
    expect(none.body.errors[0].field).toBe('currentPassword');
    expect((await server.request('PUT', '/api/auth/account', { token: user.token, json: { password: 'Brand-New-Pass-77', code: '000000' } })).body.code).toBe('invalid-mfa-code');
    const changed = await server.request('PUT', '/api/auth/account', { token: user.token, json: { password: 'Brand-New-Pass-77', code: oathtool(user.secret, server.clock.now()) } });
    expect(changed.status).toBe(204);
    await passwordStep(server, user.email, 'Brand-New-Pass-77');
  });

  it('an account without a factor keeps its rules: a code is refused naming code', async () => {
    const email = uniqueEmail('no-factor');
    const { accessToken } = await registerAndLogin(server, email);
    const answer = await server.request('PUT', '/api/auth/account', { token: accessToken, json: { password: 'Brand-New-Pass-77', code: '123456' } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].field).toBe('code');
    expect((await server.request('POST', '/auth/change-email', { token: accessToken, json: { email: uniqueEmail('moved') } })).status).toBe(202);
  });

  it('e-mail change: refused without step-up (400 naming password) or with a wrong password; the password lets it through', async () => {
    const user = await signedIn();
    const email = uniqueEmail('new-address');
    const none = await server.request('POST', '/auth/change-email', { token: user.token, json: { email } });
    expect(none.status).toBe(400);
    expect(none.body.errors[0].field).toBe('password');
    expect((await server.request('POST', '/auth/change-email', { token: user.token, json: { email, password: 'wrong-password-1' } })).body.code).toBe('invalid-credentials');
    const accepted = await server.request('POST', '/auth/change-email', { token: user.token, json: { email, password: goodPassword } });
    expect(accepted.status).toBe(202);
    expect(accepted.body.pendingEmail).toBe(email);
  });

  it('wrong step-up proofs count toward the account\'s lockout, each audited with its address and the lock\'s start: past lockout.maxAttempts (5) even the right password is refused', async () => {
    const user = await signedIn();
    for (let attempt = 0; attempt < 5; attempt++) {
      const wrong = await server.request('POST', '/api/auth/mfa/recovery-codes', { token: user.token, json: attempt % 2 ? { code: '000000' } : { password: 'not-the-password' } });
      expect(wrong.status).toBe(401);
    }
    const locked = await server.request('POST', '/api/auth/mfa/recovery-codes', { token: user.token, json: { password: goodPassword } });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('account-locked');
    expect((await server.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } })).body.code).toBe('account-locked');
    // The lock has its cause in the audit log: each refused proof, from where, and when the lock started.
    const events = await server.app.services.database.db.selectFrom('audit_events').select(['type', 'data', 'inet_address'])
      .where('account_id', '=', user.userId).where('type', 'in', ['mfa.failed', 'login.locked']).orderBy('id').execute();
    expect(events.map((event) => [event.type, event.data === null ? null : JSON.parse(event.data), event.inet_address])).toEqual([
      ...[0, 1, 2, 3, 4].map((attempt) => ['mfa.failed', { method: attempt % 2 ? 'code' : 'password', step: 'step-up' }, '127.0.0.1']),
      ['login.locked', { started: true, stepUp: true }, '127.0.0.1'],
      // The login refused at the lock, as every refused attempt during one is recorded.
      ['login.locked', null, '127.0.0.1'],
    ]);
  });

  it('deleting one\'s own account: refused without step-up, done with a code', async () => {
    const user = await signedIn();
    const none = await server.request('DELETE', `/accounts/${user.userId}`, { token: user.token });
    expect(none.status).toBe(400);
    expect((await server.request('GET', '/api/auth/account', { token: user.token })).status).toBe(200);
    const deleted = await server.request('DELETE', `/accounts/${user.userId}`, { token: user.token, json: { code: oathtool(user.secret, server.clock.now()) } });
    expect(deleted.status).toBe(204);
    expect((await server.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } })).status).toBe(401);
  });
});
