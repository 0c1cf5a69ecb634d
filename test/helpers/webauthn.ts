import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import { uniqueEmail } from './mfa.js';
import { registerAndLogin, type TestServer } from './server.js';

/**
 * A software authenticator of the test's own (a hand-written stand-in, said so): an ES256 key made by node:crypto, a
 * `none` attestation, and assertions built byte by byte (WebAuthn §6.1 authenticator data, §6.5 attestation object).
 * Why: it produces the answers a browser never would — a wrong RP ID hash, no UV flag, another origin, a counter
 * that went backwards — so the server's refusals can be proven. Nothing here uses the library under test.
 */

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

/** A minimal CBOR encoder (RFC 8949): unsigned and negative integers, byte and text strings, maps. */
export function cbor(value: unknown): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value, 'utf8')]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  throw new Error(`cbor: cannot encode ${typeof value}`);
}

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(n, 1);
  return b;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64u = (data: Buffer) => data.toString('base64url');

/** What a ceremony may be made to get wrong. */
export interface Tamper {
  rpId?: string;
  origin?: string;
  challenge?: string;
  /** Authenticator-data flags; default UP | UV. */
  flags?: number;
  /** The signature counter to report (default: one more than the last). */
  signCount?: number;
  type?: string;
}

/** WebAuthn JSON shapes, as far as these tests need them. */
export type CreationOptions = { challenge: string; user: { id: string; name: string }; rp: { id: string } } & Record<string, any>;
export type RequestOptions = { challenge: string; allowCredentials?: { id: string }[] } & Record<string, any>;

/** One credential on a software authenticator. */
export class SoftPasskey {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private userHandle = '';
  signCount = 0;

  constructor(readonly rpId: string, readonly origin: string) {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  /** The answer of `navigator.credentials.create` to `options`, with a `none` attestation. */
  create(options: CreationOptions, tamper: Tamper = {}) {
    this.userHandle = options.user.id;
    const jwk = this.publicKey.export({ format: 'jwk' });
    const coseKey = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([this.authData(tamper, AT, tamper.signCount ?? 0), Buffer.alloc(16), idLength, this.credentialId, coseKey]);
    const attestationObject = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    return {
      id: this.id, rawId: this.id, type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: { clientDataJSON: this.clientData('webauthn.create', options.challenge, tamper), attestationObject: b64u(attestationObject), transports: ['internal'] },
    };
  }

  /** The answer of `navigator.credentials.get` to `options`, signed with this credential's key. */
  get(options: RequestOptions, tamper: Tamper = {}) {
    this.signCount = tamper.signCount ?? this.signCount + 1;
    const authData = this.authData(tamper, 0, this.signCount);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, tamper);
    const signature = sign('sha256', Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]), this.privateKey);
    return {
      id: this.id, rawId: this.id, type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: { clientDataJSON, authenticatorData: b64u(authData), signature: b64u(signature), userHandle: this.userHandle },
    };
  }

  private authData(tamper: Tamper, extraFlags: number, signCount: number): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    return Buffer.concat([sha256(tamper.rpId ?? this.rpId), Buffer.from([(tamper.flags ?? UP | UV) | extraFlags]), counter]);
  }

  private clientData(type: string, challenge: string, tamper: Tamper): string {
    const data = { type: tamper.type ?? type, challenge: tamper.challenge ?? challenge, origin: tamper.origin ?? this.origin, crossOrigin: false };
    return b64u(Buffer.from(JSON.stringify(data), 'utf8'));
  }
}

/** Flags for tampering: user present only (no user verification). */
export const PRESENT_ONLY = UP;

/** A software passkey for `server` (its RP ID and origin as configured). */
export function softPasskey(server: TestServer): SoftPasskey {
  return new SoftPasskey(server.config.mfa.webauthn.rpId, server.config.mfa.webauthn.origins[0]!);
}

/** Registers `passkey` for the bearer of `token` through the API; answers the 201 body. */
export async function registerPasskey(server: TestServer, token: string, passkey: SoftPasskey, name?: string): Promise<{ id: string; name: string; recoveryCodes?: string[] }> {
  const options = await server.request('POST', '/api/auth/passkeys/options', { token });
  expect(options.status, options.text).toBe(200);
  const created = await server.request('POST', '/api/auth/passkeys', { token, json: { credential: passkey.create(options.body), ...(name ? { name } : {}) } });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

/** A passwordless login with `passkey` (options, then the assertion); answers the raw answer of the login. */
export async function passkeyLogin(server: TestServer, passkey: SoftPasskey, tamper: Tamper = {}, via: TestServer = server) {
  const options = await server.request('POST', '/api/auth/passkey/options');
  expect(options.status, options.text).toBe(200);
  return via.request('POST', '/api/auth/passkey/login', { json: { credential: passkey.get(options.body, tamper) } });
}

/** The payload of a JWT, read without checking it. */
export const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

/** The audit events of `type` for an account, oldest first. */
export async function auditEvents(server: TestServer, accountId: string, type: string): Promise<Array<{ data: unknown }>> {
  const rows = await server.app.services.database.db.selectFrom('audit_events').select(['type', 'data'])
    .where('account_id', '=', accountId).where('type', '=', type).orderBy('id').execute();
  return rows.map((row) => ({ data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data }));
}

/** An assertion of `passkey` on a fresh step-up challenge of the bearer of `token` (`POST /api/auth/passkeys/step-up/options`). */
export async function stepUpAssertion(server: TestServer, token: string, passkey: SoftPasskey, tamper: Tamper = {}) {
  const options = await server.request('POST', '/api/auth/passkeys/step-up/options', { token });
  expect(options.status, options.text).toBe(200);
  return passkey.get(options.body, tamper);
}

/** A signed-in person with one passkey. */
export interface PasskeyHolder {
  email: string;
  userId: string;
  token: string;
  passkey: SoftPasskey;
  passkeyId: string;
}

/** Registers an account, signs it in, and registers a software passkey for it. */
export async function passkeyHolder(server: TestServer, label: string): Promise<PasskeyHolder> {
  const email = uniqueEmail(label);
  const { userId, accessToken } = await registerAndLogin(server, email);
  const passkey = softPasskey(server);
  const { id } = await registerPasskey(server, accessToken, passkey);
  return { email, userId, token: accessToken, passkey, passkeyId: id };
}
