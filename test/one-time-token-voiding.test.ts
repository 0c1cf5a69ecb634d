import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailTo as mailOf, requestEmailChange } from './helpers/mail-links.js';
import { expectProblem } from './helpers/problems.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/*
 * Security review issue 14, item 8a: password changes, e-mail changes and reverts void the account's outstanding
 * e-mailed links (OneTimeTokens.voidOutstanding). The revert link in the old address's notice survives everything
 * but a revert, so the owner can always undo a hijack. Every link here comes from a real SMTP capture.
 */

const attackerPassword = 'Attacker-Owns-It-7';

describe.each(dialects)('one-time tokens voided by account events on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
  });
  afterAll(async () => server?.close());

  const mailTo = (to: string, subject: string, since: number) => mailOf(server, to, subject, since);
  const requestChange = (token: string, from: string, to: string) => requestEmailChange(server, token, from, to);

  /** Asks for a password reset of `email`; returns the e-mailed link. */
  async function resetLink(email: string): Promise<string> {
    const since = server.smtp.messages.length;
    expect((await server.request('POST', '/api/auth/forgot-password', { json: { email } })).status).toBe(202);
    return server.smtp.linkIn(await mailTo(email, 'Reset your', since), '/auth/password-reset/');
  }

  const reset = (link: string, password: string) => server.request('POST', '/api/auth/reset-password', { json: { token: link, password } });
  const login = (email: string, password: string) => server.request('POST', '/api/auth/login', { json: { email, password } });

  it('the attack of issue 14: a reset link the attacker got at their address dies when the victim reverts the change', async () => {
    // The attacker holds a stolen session of the victim's.
    const stolen = await registerAndLogin(server, 'hijacked@example.com');
    const links = await requestChange(stolen.accessToken, 'hijacked@example.com', 'thief@example.com');
    expect((await server.request('GET', links.change)).status).toBe(200);
    const attackersLink = await resetLink('thief@example.com');

    const page = await server.request('GET', links.revert);
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain('hijacked@example.com again');

    expectProblem(await reset(attackersLink, attackerPassword), 400, 'invalid-request', { fields: ['token'] });
    expectProblem(await login('hijacked@example.com', attackerPassword), 401, 'invalid-credentials');
    expect((await login('hijacked@example.com', goodPassword)).status).toBe(200);
  });

  it('the victim can still revert after the attacker reset the password through the new address', async () => {
    const stolen = await registerAndLogin(server, 'owner@example.com');
    const links = await requestChange(stolen.accessToken, 'owner@example.com', 'taker@example.com');
    expect((await server.request('GET', links.change)).status).toBe(200);
    expect((await reset(await resetLink('taker@example.com'), attackerPassword)).status).toBe(204);
    const attacker = await login('taker@example.com', attackerPassword);
    expect(attacker.status).toBe(200);

    expect((await server.request('GET', links.revert)).status).toBe(200);
    expectProblem(await server.request('GET', '/api/auth/account', { token: attacker.body.accessToken }), 401, 'token-revoked');
    // The address is the owner's again, so the owner can take the password back.
    expect((await reset(await resetLink('owner@example.com'), goodPassword)).status).toBe(204);
    expectProblem(await login('owner@example.com', attackerPassword), 401, 'invalid-credentials');
  });

  it('a password change voids reset links and a pending change link, and keeps the revert link', async () => {
    const user = await registerAndLogin(server, 'changer@example.com');
    const first = await resetLink('changer@example.com');
    const links = await requestChange(user.accessToken, 'changer@example.com', 'elsewhere@example.com');
    const changed = await server.request('PUT', '/api/auth/account', { token: user.accessToken, json: { currentPassword: goodPassword, password: 'Second-Password-8' } });
    expect(changed.status, changed.text).toBe(204);

    expectProblem(await reset(first, attackerPassword), 400, 'invalid-request', { fields: ['token'] });
    expect((await server.request('GET', links.change)).status).toBe(400);
    expect((await server.request('GET', links.revert)).status).toBe(200);
    expect((await login('changer@example.com', 'Second-Password-8')).status).toBe(200);
  });

  it('a completed password reset voids a pending change link; an administrator\'s new password voids reset links', async () => {
    const user = await registerAndLogin(server, 'twolinks@example.com');
    const links = await requestChange(user.accessToken, 'twolinks@example.com', 'wanted@example.com');
    expect((await reset(await resetLink('twolinks@example.com'), 'Reset-Chose-This-8')).status).toBe(204);
    expect((await server.request('GET', links.change)).status).toBe(400);
    expect((await login('twolinks@example.com', 'Reset-Chose-This-8')).status).toBe(200);

    const pending = await resetLink('twolinks@example.com');
    const admin = await login('admin', 'bootstrap-pw');
    expect(admin.status, admin.text).toBe(200);
    const set = await server.request('PUT', '/api/auth/admin/account', { token: admin.body.accessToken, json: { username: 'twolinks@example.com', password: 'Admin-Chose-This-9' } });
    expect(set.status, set.text).toBe(200);
    expectProblem(await reset(pending, attackerPassword), 400, 'invalid-request', { fields: ['token'] });
    expect((await login('twolinks@example.com', 'Admin-Chose-This-9')).status).toBe(200);
  });

  it('a completed e-mail change voids reset links mailed to the old address and keeps the revert link', async () => {
    const user = await registerAndLogin(server, 'leaving@example.com');
    const oldAddressLink = await resetLink('leaving@example.com');
    const links = await requestChange(user.accessToken, 'leaving@example.com', 'arrived@example.com');
    // Asking is not changing: the reset link still works until the change is made.
    expect((await server.request('GET', links.change)).status).toBe(200);

    expectProblem(await reset(oldAddressLink, attackerPassword), 400, 'invalid-request', { fields: ['token'] });
    expect((await server.request('GET', links.revert)).status).toBe(200);
    expect((await login('leaving@example.com', goodPassword)).status).toBe(200);
  });

  it('an administrator moving the address voids reset links mailed to the old one (both admin doors)', async () => {
    const admin = (await login('admin', 'bootstrap-pw')).body.accessToken;
    for (const [door, n] of [['api', 1], ['accounts', 2]] as const) {
      const user = await registerAndLogin(server, `moved-by-admin-${n}@example.com`);
      const link = await resetLink(`moved-by-admin-${n}@example.com`);
      const answer = door === 'api'
        ? await server.request('PUT', '/api/auth/admin/account', { token: admin, json: { id: user.userId, email: `new-home-${n}@example.com` } })
        : await server.request('PUT', `/accounts/${user.userId}`, { token: admin, json: { email: `new-home-${n}@example.com` } });
      expect(answer.status, answer.text).toBe(200);
      expectProblem(await reset(link, attackerPassword), 400, 'invalid-request', { fields: ['token'] });
    }
  });

  it('chained changes: the owner\'s revert voids the later revert link; the later revert leaves the owner\'s working', async () => {
    for (const ownerFirst of [true, false]) {
      const owner = `chain-${ownerFirst}@example.com`;
      const middle = `middle-${ownerFirst}@example.com`;
      const last = `last-${ownerFirst}@example.com`;
      const stolen = await registerAndLogin(server, owner);
      const first = await requestChange(stolen.accessToken, owner, middle);
      expect((await server.request('GET', first.change)).status).toBe(200);
      server.clock.advance(1000);
      const second = await requestChange(stolen.accessToken, middle, last);
      expect((await server.request('GET', second.change)).status).toBe(200);

      if (ownerFirst) {
        expect((await server.request('GET', first.revert)).status).toBe(200);
        // The attacker's link back to the middle address would otherwise move the account away from the owner again.
        expect((await server.request('GET', second.revert)).status).toBe(400);
      } else {
        expect((await server.request('GET', second.revert)).status).toBe(200);
        expect((await server.request('GET', first.revert)).status).toBe(200);
      }
      expect((await login(owner, goodPassword)).status).toBe(200);
    }
  });
});
