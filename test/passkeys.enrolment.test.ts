import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolTotp, oathtool, passwordStep, uniqueEmail } from './helpers/mfa.js';
import { expectProblem } from './helpers/problems.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { auditEvents, passkeyLogin, PRESENT_ONLY, registerPasskey, softPasskey } from './helpers/webauthn.js';

const passkeyCount = async (server: TestServer) =>
  Number((await server.app.services.database.db.selectFrom('passkeys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** Registering, listing, renaming and removing passkeys over HTTP (CONTRACT §5), with a software authenticator. */
describe.each(dialects)('passkey enrolment and management on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => server?.close());

  it('creation options: discoverable, user verification required, this RP; the first passkey brings recovery codes, the second excludes the first', async () => {
    const { userId, accessToken } = await registerAndLogin(server, uniqueEmail('register'));
    const options = await server.request('POST', '/api/auth/passkeys/options', { token: accessToken });
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({
      rp: { id: '127.0.0.1', name: 'Gatehouse' }, attestation: 'none', excludeCredentials: [],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      user: { id: Buffer.from(userId).toString('base64url') },
    });
    const first = softPasskey(server);
    const created = await server.request('POST', '/api/auth/passkeys', { token: accessToken, json: { credential: first.create(options.body), name: 'Laptop' } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Laptop', createdAt: new Date(server.clock.now()).toISOString() });
    expect(created.body.recoveryCodes).toHaveLength(10);
    expect((await server.request('GET', '/api/auth/mfa', { token: accessToken })).body).toEqual({ totp: false, passkeys: 1, recoveryCodesLeft: 10, required: false });
    expect(await auditEvents(server, userId, 'mfa.enrolled')).toEqual([{ data: { method: 'webauthn', passkeyId: created.body.id } }]);

    server.clock.advance(1_000);
    const again = await server.request('POST', '/api/auth/passkeys/options', { token: accessToken });
    expect(again.body.excludeCredentials).toEqual([{ id: first.id, type: 'public-key', transports: ['internal'] }]);
    const second = await server.request('POST', '/api/auth/passkeys', { token: accessToken, json: { credential: softPasskey(server).create(again.body) } });
    expect(second.status).toBe(201);
    expect(second.body.name).toBe('Passkey 2');
    expect(second.body).not.toHaveProperty('recoveryCodes');
    const list = await server.request('GET', '/api/auth/passkeys', { token: accessToken });
    expect(list.body).toEqual([
      { id: created.body.id, name: 'Laptop', createdAt: created.body.createdAt, lastUsedAt: null, disabled: false },
      { id: second.body.id, name: 'Passkey 2', createdAt: second.body.createdAt, lastUsedAt: null, disabled: false },
    ]);
    // The same credential twice is a conflict, not a second row.
    const dup = await server.request('POST', '/api/auth/passkeys/options', { token: accessToken });
    expectProblem(await server.request('POST', '/api/auth/passkeys', { token: accessToken, json: { credential: first.create(dup.body) } }), 409, 'conflict');
  });

  it('an account with TOTP keeps its recovery codes when it adds a passkey; the second step then offers all three methods', async () => {
    const user = await enrolTotp(server, 'totp-and-passkey');
    const session = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: await passwordStep(server, user.email), method: 'totp', code: oathtool(user.secret, server.clock.now()) } });
    const created = await registerPasskey(server, session.body.accessToken, softPasskey(server));
    expect(created).not.toHaveProperty('recoveryCodes');
    const login = await server.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } });
    expect(login.body.methods).toEqual(['totp', 'recovery', 'webauthn']);
  });

  it('refuses registrations made for another origin or RP, without user verification, or on a used challenge; nothing stored', async () => {
    const { accessToken } = await registerAndLogin(server, uniqueEmail('register-refused'));
    const before = await passkeyCount(server);
    const attempt = async (tamper: Parameters<ReturnType<typeof softPasskey>['create']>[1]) => {
      const options = await server.request('POST', '/api/auth/passkeys/options', { token: accessToken });
      return server.request('POST', '/api/auth/passkeys', { token: accessToken, json: { credential: softPasskey(server).create(options.body, tamper) } });
    };
    for (const tamper of [{ origin: 'http://evil.example' }, { rpId: 'evil.example' }, { flags: PRESENT_ONLY }, { challenge: 'AAAA' }, { type: 'webauthn.get' }]) {
      const refused = await attempt(tamper);
      expectProblem(refused, 400, 'invalid-request', { fields: ['credential'] });
    }
    const options = await server.request('POST', '/api/auth/passkeys/options', { token: accessToken });
    const credential = softPasskey(server).create(options.body);
    expect((await server.request('POST', '/api/auth/passkeys', { token: accessToken, json: { credential } })).status).toBe(201);
    const replay = await server.request('POST', '/api/auth/passkeys', { token: accessToken, json: { credential } });
    expectProblem(replay, 400, 'invalid-request', { fields: ['credential'] });
    expect(replay.body.errors[0].message).toMatch(/challenge/);
    expect(await passkeyCount(server)).toBe(before + 1);
  });

  it('a challenge is bound to its account: one account\'s options do not register a passkey for another', async () => {
    const one = await registerAndLogin(server, uniqueEmail('bound-one'));
    const two = await registerAndLogin(server, uniqueEmail('bound-two'));
    const options = await server.request('POST', '/api/auth/passkeys/options', { token: one.accessToken });
    const refused = await server.request('POST', '/api/auth/passkeys', { token: two.accessToken, json: { credential: softPasskey(server).create(options.body) } });
    expectProblem(refused, 400, 'invalid-request', { fields: ['credential'] });
  });

  it('renames (PATCH) and removes (DELETE, step-up) only the caller\'s own passkeys; removing the last factor removes the recovery codes', async () => {
    const owner = await registerAndLogin(server, uniqueEmail('owner'));
    const passkey = softPasskey(server);
    const { id, recoveryCodes } = await registerPasskey(server, owner.accessToken, passkey);
    const stranger = await registerAndLogin(server, uniqueEmail('stranger'));

    const renamed = await server.request('PATCH', `/api/auth/passkeys/${id}`, { token: owner.accessToken, json: { name: '  Phone <b>  ' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'Phone <b>', disabled: false });
    expectProblem(await server.request('PATCH', `/api/auth/passkeys/${id}`, { token: stranger.accessToken, json: { name: 'mine' } }), 404, 'not-found');
    expectProblem(await server.request('DELETE', `/api/auth/passkeys/${id}`, { token: stranger.accessToken, json: { password: goodPassword } }), 404, 'not-found');
    expect((await server.request('GET', '/api/auth/passkeys', { token: stranger.accessToken })).body).toEqual([]);

    expectProblem(await server.request('DELETE', `/api/auth/passkeys/${id}`, { token: owner.accessToken, json: {} }), 400, 'invalid-request', { fields: ['password'] });
    expectProblem(await server.request('DELETE', `/api/auth/passkeys/${id}`, { token: owner.accessToken, json: { password: 'not-the-password' } }), 401, 'invalid-credentials');
    expectProblem(await server.request('DELETE', `/api/auth/passkeys/${id}`, { token: owner.accessToken, json: { code: 'AAAAA-BBBBB' } }), 401, 'invalid-mfa-code');
    expect((await server.request('GET', '/api/auth/passkeys', { token: owner.accessToken })).body).toHaveLength(1);
    // A recovery code is a step-up proof too (and is spent by it).
    const removed = await server.request('DELETE', `/api/auth/passkeys/${id}`, { token: owner.accessToken, json: { code: recoveryCodes![0] } });
    expect(removed.status, removed.text).toBe(204);
    expect((await server.request('GET', '/api/auth/mfa', { token: owner.accessToken })).body).toMatchObject({ passkeys: 0, recoveryCodesLeft: 0 });
    expect((await passkeyLogin(server, passkey)).status).toBe(401);
    expect(await auditEvents(server, owner.userId, 'mfa.removed')).toEqual([{ data: { method: 'webauthn', passkeyId: id } }]);
    expectProblem(await server.request('DELETE', `/api/auth/passkeys/${id}`, { token: owner.accessToken, json: { password: goodPassword } }), 404, 'not-found');
  });

  it('needs a caller: no token, or a plain (non-enrolment) mfaToken, is refused', async () => {
    const credential = softPasskey(server).create({ challenge: 'AAAA', user: { id: 'AAAA', name: 'x' }, rp: { id: '127.0.0.1' } });
    for (const [method, path] of [['POST', '/api/auth/passkeys/options'], ['POST', '/api/auth/passkeys'], ['GET', '/api/auth/passkeys']] as const) {
      expectProblem(await server.request(method, path, path.endsWith('passkeys') && method === 'POST' ? { json: { credential } } : {}), 401, 'unauthorized');
    }
    const user = await enrolTotp(server, 'plain-token');
    const refused = await server.request('POST', '/api/auth/passkeys/options', { token: await passwordStep(server, user.email) });
    expectProblem(refused, 401, 'invalid-token');
  });

  it('a guest (POST /api/auth/guest) may hold no factor: passkey options and registration, and TOTP set-up, are 403 forbidden; nothing stored', async () => {
    const guest = await server.request('POST', '/api/auth/guest');
    expect(guest.status).toBe(200);
    const token = guest.body.accessToken;
    expect(guest.body.userId).toEqual(expect.any(String));
    const before = await passkeyCount(server);
    const options = await server.request('POST', '/api/auth/passkeys/options', { token });
    expectProblem(options, 403, 'forbidden');
    expect(options.body.detail).toMatch(/guest account cannot have a passkey/);
    // A credential made on a person's options, posted by the guest: refused before anything is verified.
    const person = await registerAndLogin(server, uniqueEmail('person'));
    const made = softPasskey(server).create((await server.request('POST', '/api/auth/passkeys/options', { token: person.accessToken })).body);
    expectProblem(await server.request('POST', '/api/auth/passkeys', { token, json: { credential: made } }), 403, 'forbidden');
    expectProblem(await server.request('POST', '/api/auth/mfa/totp', { token }), 403, 'forbidden');
    expect(await passkeyCount(server)).toBe(before);
    const challenges = await server.app.services.database.db.selectFrom('webauthn_challenges').select('account_id').where('account_id', '=', guest.body.userId).execute();
    expect(challenges).toEqual([]);
    expect((await server.request('GET', '/api/auth/mfa', { token })).body).toMatchObject({ totp: false, passkeys: 0 });
  });

  it('bad input names the field and stores nothing', async () => {
    const { accessToken: token } = await registerAndLogin(server, uniqueEmail('bad-input'));
    const before = await passkeyCount(server);
    const options = await server.request('POST', '/api/auth/passkeys/options', { token });
    const good = softPasskey(server).create(options.body);
    const bad = async (path: string, json: unknown, field: string, method = 'POST') => {
      const answer = await server.request(method, path, { token, json });
      expectProblem(answer, 400, 'invalid-request');
      expect(answer.body.errors.map((e: { field: string }) => e.field).join(' '), answer.text).toContain(field);
    };
    await bad('/api/auth/passkeys', {}, 'credential');
    await bad('/api/auth/passkeys', { credential: 'x' }, 'credential');
    await bad('/api/auth/passkeys', { credential: { ...good, type: 'password' } }, 'type');
    await bad('/api/auth/passkeys', { credential: { ...good, rawId: 'not base64url!' } }, 'rawId');
    await bad('/api/auth/passkeys', { credential: { ...good, response: { ...good.response, attestationObject: "'; drop table passkeys; --" } } }, 'attestationObject');
    await bad('/api/auth/passkeys', { credential: { ...good, response: { ...good.response, attestationObject: 'AAAA' } } }, 'credential');
    await bad('/api/auth/passkeys', { credential: { ...good, response: { ...good.response, attestationObject: 'A'.repeat(20_000) } } }, 'attestationObject');
    await bad('/api/auth/passkeys', { credential: good, name: 'x'.repeat(65) }, 'name');
    await bad('/api/auth/passkeys', { credential: good, name: '   ' }, 'name');
    await bad('/api/auth/passkeys', { credential: good, extra: 1 }, 'extra');
    await bad('/api/auth/passkeys/00000000-0000-0000-0000-000000000000', {}, 'name', 'PATCH');
    await bad('/api/auth/passkeys/00000000-0000-0000-0000-000000000000', { name: 42 }, 'name', 'PATCH');
    await bad('/api/auth/passkey/login', {}, 'credential');
    await bad('/api/auth/passkey/login', { credential: { ...good, response: { clientDataJSON: 'AAAA' } } }, 'response');
    await bad('/api/auth/passkey/login', { credential: good, clientId: 'no-such-client' }, 'credential');
    await bad('/api/auth/mfa/webauthn/options', {}, 'mfaToken');
    expectProblem(await server.request('POST', '/api/auth/mfa/webauthn/options', { json: { mfaToken: 'gh_mfa_nothing' } }), 401, 'invalid-token');
    expect(await passkeyCount(server)).toBe(before);
  });
});
