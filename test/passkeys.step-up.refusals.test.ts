import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordStep } from './helpers/mfa.js';
import { expectProblem } from './helpers/problems.js';
import { dialects, goodPassword, startServer, type TestServer } from './helpers/server.js';
import { auditEvents, passkeyHolder, PRESENT_ONLY, softPasskey, stepUpAssertion, type PasskeyHolder } from './helpers/webauthn.js';

type Assertion = ReturnType<ReturnType<typeof softPasskey>['get']>;

/**
 * What a passkey as step-up proof refuses (CONTRACT §5), with assertions a browser would never make, from a software
 * authenticator of the test's own: a replay, an expired challenge, a challenge of another ceremony or another account,
 * another account's passkey, a forged or tampered assertion. Each is `401 invalid-mfa-code`, audited as
 * `mfa.passkey-refused` (purpose `step-up`), counts toward the account's lockout, and changes nothing.
 */
describe.each(dialects)('refused passkey step-up on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { lockout: { maxAttempts: 3 } } });
  });
  afterAll(async () => server?.close());

  /** Removing the holder's passkey with `credential`: refused, audited with `reason`, and the passkey is still there. */
  const expectRefused = async (holder: PasskeyHolder, credential: Assertion, reason: string) => {
    const before = (await auditEvents(server, holder.userId, 'mfa.passkey-refused')).length;
    const answer = await server.request('DELETE', `/api/auth/passkeys/${holder.passkeyId}`, { token: holder.token, json: { credential } });
    expectProblem(answer, 401, 'invalid-mfa-code');
    expect(answer.body.detail).toMatch(/^credential: /);
    expect((await server.request('GET', '/api/auth/passkeys', { token: holder.token })).body).toHaveLength(1);
    const audited = await auditEvents(server, holder.userId, 'mfa.passkey-refused');
    expect(audited.length).toBe(before + 1);
    expect(audited.at(-1)!.data).toMatchObject({ reason, purpose: 'step-up' });
    const [refusal, failure] = await Promise.all(['mfa.passkey-refused', 'mfa.failed'].map((type) => server.app.services.database.db.selectFrom('audit_events')
      .select(['inet_address', 'data']).where('account_id', '=', holder.userId).where('type', '=', type).orderBy('id', 'desc').executeTakeFirstOrThrow()));
    expect(refusal!.inet_address, 'the refusal names where the request came from').toBe('127.0.0.1');
    expect(failure).toMatchObject({ inet_address: '127.0.0.1' });
    expect(JSON.parse(failure!.data!)).toEqual({ method: 'webauthn', step: 'step-up' });
  };

  it('a replayed assertion, and one on an expired challenge', async () => {
    const holder = await passkeyHolder(server, 'replay');
    const credential = await stepUpAssertion(server, holder.token, holder.passkey);
    expect((await server.request('POST', '/api/auth/mfa/recovery-codes', { token: holder.token, json: { credential } })).status).toBe(200);
    await expectRefused(holder, credential, 'challenge');
    const late = await stepUpAssertion(server, holder.token, holder.passkey);
    server.clock.advance(server.config.mfa.challengeTtl + 1);
    await expectRefused(holder, late, 'challenge');
  });

  it('the challenge of a passwordless login, of a second step, of a registration, or of another account\'s step-up', async () => {
    const holder = await passkeyHolder(server, 'other-ceremony');
    const other = await passkeyHolder(server, 'other-ceremony-b');
    const login = await server.request('POST', '/api/auth/passkey/options');
    await expectRefused(holder, holder.passkey.get(login.body), 'challenge');
    const secondStep = await server.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken: await passwordStep(server, holder.email) } });
    await expectRefused(holder, holder.passkey.get(secondStep.body), 'challenge');
    // Another account for the rest: three refusals would lock this one (lockout.maxAttempts: 3).
    const second = await passkeyHolder(server, 'other-ceremony-c');
    const registration = await server.request('POST', '/api/auth/passkeys/options', { token: second.token });
    await expectRefused(second, second.passkey.get(registration.body), 'challenge');
    const foreignChallenge = await server.request('POST', '/api/auth/passkeys/step-up/options', { token: other.token });
    await expectRefused(second, second.passkey.get(foreignChallenge.body), 'challenge');
  });

  it('another account\'s passkey, even on this account\'s own step-up challenge', async () => {
    const holder = await passkeyHolder(server, 'foreign-key');
    const other = await passkeyHolder(server, 'foreign-key-b');
    const credential = await stepUpAssertion(server, holder.token, other.passkey);
    const before = await auditEvents(server, other.userId, 'mfa.passkey-refused');
    const answer = await server.request('DELETE', `/api/auth/passkeys/${holder.passkeyId}`, { token: holder.token, json: { credential } });
    expectProblem(answer, 401, 'invalid-mfa-code');
    // The refusal is recorded on the passkey's owner, as every passkey refusal is.
    expect((await auditEvents(server, other.userId, 'mfa.passkey-refused')).slice(before.length)).toEqual([{ data: expect.objectContaining({ reason: 'other-account', purpose: 'step-up' }) }]);
    expect((await server.request('GET', '/api/auth/passkeys', { token: holder.token })).body).toHaveLength(1);
    // The other account's own passkey did not sign its own ceremony: its counter and last use are untouched.
    expect((await server.request('GET', '/api/auth/passkeys', { token: other.token })).body[0].lastUsedAt).toBeNull();
  });

  it('forged and tampered assertions: another origin or RP ID, no user verification, a broken signature, a counter gone back', async () => {
    const one = await passkeyHolder(server, 'forged-one');
    await expectRefused(one, await stepUpAssertion(server, one.token, one.passkey, { origin: 'http://evil.example' }), 'origin');
    await expectRefused(one, await stepUpAssertion(server, one.token, one.passkey, { rpId: 'evil.example' }), 'rp-id');
    const two = await passkeyHolder(server, 'forged-two');
    await expectRefused(two, await stepUpAssertion(server, two.token, two.passkey, { flags: PRESENT_ONLY }), 'user-verification');
    const signed = await stepUpAssertion(server, two.token, two.passkey);
    const signature = Buffer.from(signed.response.signature, 'base64url');
    signature[signature.length - 1]! ^= 0x01;
    await expectRefused(two, { ...signed, response: { ...signed.response, signature: signature.toString('base64url') } }, 'signature');

    const three = await passkeyHolder(server, 'counter');
    expect((await server.request('POST', '/api/auth/mfa/recovery-codes', { token: three.token, json: { credential: await stepUpAssertion(server, three.token, three.passkey) } })).status).toBe(200);
    await expectRefused(three, await stepUpAssertion(server, three.token, three.passkey, { signCount: 1 }), 'counter');
    expect((await server.request('GET', '/api/auth/passkeys', { token: three.token })).body[0].disabled).toBe(true);
  });

  it('refused assertions count toward the account\'s lockout: past lockout.maxAttempts even a right assertion and the password are refused', async () => {
    const holder = await passkeyHolder(server, 'lockout');
    for (let attempt = 0; attempt < 3; attempt++) {
      await expectRefused(holder, await stepUpAssertion(server, holder.token, holder.passkey, { origin: 'http://evil.example' }), 'origin');
    }
    const right = await stepUpAssertion(server, holder.token, holder.passkey);
    expectProblem(await server.request('DELETE', `/api/auth/passkeys/${holder.passkeyId}`, { token: holder.token, json: { credential: right } }), 429, 'account-locked');
    expectProblem(await server.request('POST', '/api/auth/login', { json: { email: holder.email, password: goodPassword } }), 429, 'account-locked');
    expect((await server.request('GET', '/api/auth/passkeys', { token: holder.token })).body).toHaveLength(1);
  });

  it('a step-up challenge answers no sign-in: not a passwordless login, not a second step', async () => {
    const holder = await passkeyHolder(server, 'not-a-login');
    const login = await server.request('POST', '/api/auth/passkey/login', { json: { credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expectProblem(login, 401, 'invalid-credentials');
    const mfaToken = await passwordStep(server, holder.email);
    const verify = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn', credential: await stepUpAssertion(server, holder.token, holder.passkey) } });
    expectProblem(verify, 401, 'invalid-mfa-code');
    expect((await auditEvents(server, holder.userId, 'mfa.passkey-refused')).map((event) => event.data)).toEqual([
      expect.objectContaining({ reason: 'challenge', purpose: 'login' }),
      expect.objectContaining({ reason: 'challenge', purpose: 'second-step' }),
    ]);
  });
});
