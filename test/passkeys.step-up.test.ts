import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oathtool, passwordStep, uniqueEmail } from './helpers/mfa.js';
import { expectProblem } from './helpers/problems.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { auditEvents, passkeyHolder, registerPasskey, softPasskey, stepUpAssertion } from './helpers/webauthn.js';

/**
 * A passkey as step-up proof (CONTRACT §5 "Step-up"), over HTTP with a software authenticator (test/helpers/webauthn.ts):
 * the request options of the caller's own passkeys, and `credential` taken wherever `code` is — turning TOTP off, new
 * recovery codes, removing a passkey, password and e-mail changes, deleting the account. Refusals:
 * passkeys.step-up.refusals.test.ts.
 */
describe.each(dialects)('a passkey as step-up proof on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => server?.close());

  it('options: only for a signed-in caller with a usable passkey; its passkeys alone, UV required, a challenge bound to it and to step-up', async () => {
    expectProblem(await server.request('POST', '/api/auth/passkeys/step-up/options'), 401, 'unauthorized');
    const plain = await registerAndLogin(server, uniqueEmail('no-passkey'));
    expectProblem(await server.request('POST', '/api/auth/passkeys/step-up/options', { token: plain.accessToken }), 409, 'conflict');

    const holder = await passkeyHolder(server, 'options');
    await registerPasskey(server, holder.token, softPasskey(server));
    const stranger = await passkeyHolder(server, 'options-stranger');
    const options = await server.request('POST', '/api/auth/passkeys/step-up/options', { token: holder.token });
    expect(options.status, options.text).toBe(200);
    expect(options.body).toMatchObject({ rpId: '127.0.0.1', userVerification: 'required', timeout: server.config.mfa.challengeTtl });
    expect(options.body.allowCredentials).toHaveLength(2);
    expect(options.body.allowCredentials).toContainEqual({ id: holder.passkey.id, type: 'public-key', transports: ['internal'] });
    expect(options.body.allowCredentials.map((c: { id: string }) => c.id)).not.toContain(stranger.passkey.id);
    expect(Buffer.from(options.body.challenge, 'base64url')).toHaveLength(32);
    const row = await server.app.services.database.db.selectFrom('webauthn_challenges').selectAll().where('challenge', '=', options.body.challenge).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ purpose: 'step-up', account_id: holder.userId });
    expect(Number(row.expires_at)).toBe(server.clock.now() + server.config.mfa.challengeTtl);

    // A sign-in's mfaToken is no caller: it opens the second step, not step-up.
    expectProblem(await server.request('POST', '/api/auth/passkeys/step-up/options', { token: await passwordStep(server, holder.email) }), 401, 'unauthorized');
  });

  it('answers step-up of the factor routes: new recovery codes, TOTP off, a passkey removed (with the other passkey or itself)', async () => {
    const holder = await passkeyHolder(server, 'factor-routes');
    const setup = await server.request('POST', '/api/auth/mfa/totp', { token: holder.token });
    const confirmed = await server.request('POST', '/api/auth/mfa/totp/confirm', { token: holder.token, json: { code: oathtool(setup.body.secret, server.clock.now()) } });
    expect(confirmed.status, confirmed.text).toBe(200);

    const codes = await server.request('POST', '/api/auth/mfa/recovery-codes', { token: holder.token, json: { credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(codes.status, codes.text).toBe(200);
    expect(codes.body.recoveryCodes).toHaveLength(10);
    const off = await server.request('DELETE', '/api/auth/mfa/totp', { token: holder.token, json: { credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(off.status, off.text).toBe(204);
    expect((await server.request('GET', '/api/auth/mfa', { token: holder.token })).body).toMatchObject({ totp: false, passkeys: 1, recoveryCodesLeft: 10 });

    const second = softPasskey(server);
    const { id: secondId } = await registerPasskey(server, holder.token, second);
    const removed = await server.request('DELETE', `/api/auth/passkeys/${secondId}`, { token: holder.token, json: { credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(removed.status, removed.text).toBe(204);
    const last = await server.request('DELETE', `/api/auth/passkeys/${holder.passkeyId}`, { token: holder.token, json: { credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(last.status, last.text).toBe(204);
    expect((await server.request('GET', '/api/auth/mfa', { token: holder.token })).body).toMatchObject({ totp: false, passkeys: 0, recoveryCodesLeft: 0 });
    // The step-up answers were passkey uses: no refusal on the way.
    expect(await auditEvents(server, holder.userId, 'mfa.passkey-refused')).toEqual([]);
  });

  it('answers step-up of password and e-mail changes and of deleting one\'s own account', async () => {
    const holder = await passkeyHolder(server, 'account-routes');
    const changed = await server.request('PUT', '/api/auth/account', { token: holder.token, json: { password: 'Brand-New-Pass-77', credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(changed.status, changed.text).toBe(204);
    await passwordStep(server, holder.email, 'Brand-New-Pass-77');
    const put = await server.request('PUT', `/accounts/${holder.userId}`, { token: holder.token, json: { password: 'Other-New-Pass-88', credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(put.status, put.text).toBe(200);
    await passwordStep(server, holder.email, 'Other-New-Pass-88');

    const email = uniqueEmail('moved');
    const moved = await server.request('POST', '/auth/change-email', { token: holder.token, json: { email, credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(moved.status, moved.text).toBe(202);
    expect(moved.body.pendingEmail).toBe(email);

    const deleted = await server.request('DELETE', `/accounts/${holder.userId}`, { token: holder.token, json: { credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expect(deleted.status, deleted.text).toBe(204);
    expect((await server.request('POST', '/api/auth/login', { json: { email: holder.email, password: 'Other-New-Pass-88' } })).status).toBe(401);
  });

  it('bad input names the field and changes nothing; an account without a factor is told to use its password', async () => {
    const holder = await passkeyHolder(server, 'bad-input');
    const good = await stepUpAssertion(server, holder.token, holder.passkey);
    const bad = async (credential: unknown, field: string) => {
      const answer = await server.request('DELETE', `/api/auth/passkeys/${holder.passkeyId}`, { token: holder.token, json: { credential } });
      expectProblem(answer, 400, 'invalid-request');
      expect(answer.body.errors.map((e: { field: string }) => e.field).join(' '), answer.text).toContain(field);
    };
    await bad('x', 'credential');
    await bad({ ...good, type: 'password' }, 'type');
    await bad({ ...good, response: { ...good.response, signature: 'not base64url!' } }, 'signature');
    await bad({ ...good, response: { clientDataJSON: good.response.clientDataJSON } }, 'response');
    await bad({ ...good, extra: 1 }, 'extra');
    expect((await server.request('GET', '/api/auth/passkeys', { token: holder.token })).body).toHaveLength(1);
    // Schema errors spend nothing: the challenge still answers once.
    expect((await server.request('POST', '/api/auth/mfa/recovery-codes', { token: holder.token, json: { credential: good } })).status).toBe(200);

    const plain = await registerAndLogin(server, uniqueEmail('no-factor'));
    const refused = await server.request('PUT', '/api/auth/account', { token: plain.accessToken, json: { password: 'Brand-New-Pass-77', credential: good } });
    expectProblem(refused, 400, 'invalid-request', { fields: ['credential'] });
  });
});
