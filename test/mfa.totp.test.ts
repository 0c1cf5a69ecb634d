import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecoveryCodes } from '../src/mfa/recovery-codes.service.js';
import { SecretBox } from '../src/mfa/secret-box.js';
import { TotpService } from '../src/mfa/totp.service.js';
import { findTotp } from '../src/mfa/totp.repository.js';
import { dialects, registerAndLogin, useTwoNodes, type TestServer } from './helpers/server.js';

/** The code Debian's oathtool (not the library under test) computes for `secret` at `ms`. */
function oathtool(secret: string, ms: number): string {
  return execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(ms / 1000)}`, secret], { encoding: 'utf8' }).trim();
}

/** The MFA services as a node wires them (its database, clock, randomness and the cluster's server key). */
function servicesOf(server: TestServer) {
  const { database, clock, random, serverKey, audit } = server.app.services;
  const recoveryCodes = new RecoveryCodes({ db: database.db, clock, random, serverKey, audit });
  const totp = new TotpService({ db: database.db, clock, random, serverKey, issuer: server.config.mfa.totp.issuer, audit, recoveryCodes });
  return { totp, recoveryCodes };
}

const STEP = 30_000;
const unique = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

describe.each(dialects)('TOTP and recovery codes on %s, checked against oathtool, on two nodes', (dialect) => {
  const nodes = useTwoNodes(dialect);
  let a: TestServer;
  let b: TestServer;
  beforeAll(() => {
    ({ a, b } = nodes);
  });

  async function enrolled() {
    const email = unique('totp');
    const user = { ...(await registerAndLogin(a, email)), email };
    const { totp } = servicesOf(a);
    const setup = await totp.begin({ id: user.userId, username: email });
    a.clock.advance(STEP);
    const codes = await totp.confirm(user.userId, oathtool(setup.secret, a.clock.now()));
    return { user, setup, codes };
  }

  it('enrols: a base32 secret, an otpauth URI naming issuer and account, an SVG QR code; active only after the first code', async () => {
    const email = unique('totp');
    const user = { ...(await registerAndLogin(a, email)), email };
    const { totp } = servicesOf(a);
    const setup = await totp.begin({ id: user.userId, username: email });
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.otpauthUrl).toBe(`otpauth://totp/gatehouse:${encodeURIComponent(user.email)}?issuer=gatehouse&secret=${setup.secret}&algorithm=SHA1&digits=6&period=30`);
    expect(setup.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(await totp.isActive(user.userId)).toBe(false);
    expect(await totp.verify(user.userId, oathtool(setup.secret, a.clock.now()))).toBe(false);
    await expect(totp.confirm(user.userId, '000000')).rejects.toMatchObject({ code: 'invalid-mfa-code' });
    const codes = await totp.confirm(user.userId, oathtool(setup.secret, a.clock.now()));
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(await totp.isActive(user.userId)).toBe(true);
    await expect(totp.begin({ id: user.userId, username: user.email })).rejects.toMatchObject({ code: 'conflict' });
  });

  it("accepts oathtool's code once: the same code again is refused, on this node and on the other", async () => {
    const { user, setup } = await enrolled();
    a.clock.advance(STEP);
    const code = oathtool(setup.secret, a.clock.now());
    expect(await servicesOf(a).totp.verify(user.userId, code)).toBe(true);
    expect(await servicesOf(a).totp.verify(user.userId, code)).toBe(false);
    expect(await servicesOf(b).totp.verify(user.userId, code)).toBe(false);
    a.clock.advance(STEP);
    expect(await servicesOf(b).totp.verify(user.userId, oathtool(setup.secret, a.clock.now()))).toBe(true);
  });

  it('takes one code exactly once when twenty verifications race on two nodes', async () => {
    const { user, setup } = await enrolled();
    a.clock.advance(STEP);
    const code = oathtool(setup.secret, a.clock.now());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => servicesOf(i % 2 ? a : b).totp.verify(user.userId, code)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('tolerates one step of clock skew either way, not two', async () => {
    const { user, setup } = await enrolled();
    const { totp } = servicesOf(a);
    a.clock.advance(10 * STEP);
    expect(await totp.verify(user.userId, oathtool(setup.secret, a.clock.now() - 2 * STEP))).toBe(false);
    expect(await totp.verify(user.userId, oathtool(setup.secret, a.clock.now() + 2 * STEP))).toBe(false);
    expect(await totp.verify(user.userId, oathtool(setup.secret, a.clock.now() - STEP))).toBe(true);
    // A code older than the one just taken is refused even inside the window (RFC 6238 §5.2).
    a.clock.advance(STEP);
    expect(await totp.verify(user.userId, oathtool(setup.secret, a.clock.now() - 2 * STEP))).toBe(false);
    expect(await totp.verify(user.userId, oathtool(setup.secret, a.clock.now() + STEP))).toBe(true);
    expect(await totp.verify(user.userId, 'abcdef')).toBe(false);
    expect(await totp.verify(user.userId, '1234567')).toBe(false);
  });

  it('keeps the secret sealed at rest, bound to its account, under a key only the server secret gives', async () => {
    const { user, setup } = await enrolled();
    const row = (await findTotp(a.app.services.database.db, user.userId))!;
    expect(row.secret_box).not.toContain(setup.secret);
    expect(new SecretBox(a.app.services.serverKey, 'mfa-totp').open(row.secret_box, user.userId)).toBe(setup.secret);
    expect(new SecretBox(a.app.services.serverKey, 'mfa-totp').open(row.secret_box, 'another-account')).toBeNull();
    expect(new SecretBox('another cluster', 'mfa-totp').open(row.secret_box, user.userId)).toBeNull();
    expect(new SecretBox(a.app.services.serverKey, 'something-else').open(row.secret_box, user.userId)).toBeNull();
  });

  it('spends each recovery code once (any node), typed in any case with or without the dash; regenerating voids the old set', async () => {
    const { user, codes } = await enrolled();
    expect(await servicesOf(a).recoveryCodes.left(user.userId)).toBe(10);
    expect(await servicesOf(a).recoveryCodes.spend(user.userId, codes[0]!.toLowerCase().replace('-', ''))).toBe(true);
    expect(await servicesOf(b).recoveryCodes.spend(user.userId, codes[0]!)).toBe(false);
    expect(await servicesOf(a).recoveryCodes.left(user.userId)).toBe(9);
    const other = await registerAndLogin(a, unique('totp-other'));
    expect(await servicesOf(a).recoveryCodes.spend(other.userId, codes[1]!)).toBe(false);
    const fresh = await servicesOf(a).recoveryCodes.regenerate(user.userId);
    expect(await servicesOf(a).recoveryCodes.spend(user.userId, codes[1]!)).toBe(false);
    expect(await servicesOf(b).recoveryCodes.spend(user.userId, fresh[0]!)).toBe(true);
    const stored = await a.app.services.database.db.selectFrom('mfa_recovery_codes').select('code_hash').where('account_id', '=', user.userId).execute();
    expect(stored.map((row) => row.code_hash).join()).not.toContain(fresh[1]!.replace('-', ''));
  });

  it('removes TOTP: its codes stop working', async () => {
    const { user, setup } = await enrolled();
    const { totp } = servicesOf(a);
    expect(await totp.remove(user.userId)).toBe(true);
    a.clock.advance(STEP);
    expect(await totp.verify(user.userId, oathtool(setup.secret, a.clock.now()))).toBe(false);
    expect(await totp.remove(user.userId)).toBe(false);
  });
});
