import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { systemPython } from './jwt-python.js';
import type { TestServer } from './server.js';
import type { CreationOptions, RequestOptions } from './webauthn.js';

/** The authenticator script: python3-fido2's classes and python3-cryptography's key (see the file's docstring). */
const SCRIPT = fileURLToPath(new URL('./fido2-authenticator.py', import.meta.url));

/** What the script may be asked to get wrong: another RP ID's hash, other flags (UP only), a chosen counter. */
export interface Fido2Tamper {
  rpId?: string;
  flags?: number;
  signCount?: number;
}

/** A credential's key material as the script keeps it between calls (the test holds it; the script keeps nothing). */
export interface Fido2Key {
  privateKey: string;
  credentialId: string;
  userHandle: string;
  signCount: number;
}

/** Flags: user present, not verified. */
export const FIDO2_PRESENT_ONLY = 0x01;

interface Answer {
  credential: Record<string, unknown>;
  key: Fido2Key;
  fido2: string;
}

/** Runs one command of the script with Debian's python (python3-fido2 lives there, not in the pyenv on PATH). */
function run(request: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = spawn(systemPython, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as Answer) : reject(new Error(`fido2-authenticator.py exited ${code}: ${stderr}`))));
    child.stdin.end(JSON.stringify(request));
  });
}

/**
 * A passkey on python3-fido2's authenticator for `server`'s RP ID and origin: `create` answers creation options,
 * `get` request options, each as the JSON a browser would post. The key (and its counter) lives here between calls.
 */
export class Fido2Passkey {
  key: Fido2Key | null = null;
  /** The version of python3-fido2 that built the last answer. */
  version = '';

  constructor(private readonly rpId: string, private readonly origin: string) {}

  /** A registration (attestation `none`); the key is kept only when `keep` (a refused registration leaves none). */
  async create(options: CreationOptions, tamper: Fido2Tamper = {}, keep = true): Promise<Record<string, unknown>> {
    const answer = await run({ command: 'register', rpId: this.rpId, origin: this.origin, options, tamper });
    this.version = answer.fido2;
    if (keep) this.key = answer.key;
    return answer.credential;
  }

  /** An assertion signed with the kept key; its counter moves on (or to `tamper.signCount`). */
  async get(options: RequestOptions, tamper: Fido2Tamper = {}): Promise<Record<string, unknown>> {
    if (!this.key) throw new Error('no registered key: create() first');
    const answer = await run({ command: 'assert', rpId: this.rpId, origin: this.origin, options, key: this.key, tamper });
    this.key = answer.key;
    return answer.credential;
  }
}

/** A python3-fido2 passkey for `server` (its configured RP ID and first origin). */
export function fido2Passkey(server: TestServer): Fido2Passkey {
  return new Fido2Passkey(server.config.mfa.webauthn.rpId, server.config.mfa.webauthn.origins[0]!);
}

/** Registers `passkey` for the bearer of `token` through the API; answers the 201 body. */
export async function registerFido2Passkey(server: TestServer, token: string, passkey: Fido2Passkey): Promise<{ id: string; recoveryCodes?: string[] }> {
  const options = await server.request('POST', '/api/auth/passkeys/options', { token });
  expect(options.status, options.text).toBe(200);
  const created = await server.request('POST', '/api/auth/passkeys', { token, json: { credential: await passkey.create(options.body) } });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

/** A passwordless login with `passkey`: options, then its assertion; answers the login's raw answer. */
export async function fido2Login(server: TestServer, passkey: Fido2Passkey, tamper: Fido2Tamper = {}) {
  const options = await server.request('POST', '/api/auth/passkey/options');
  expect(options.status, options.text).toBe(200);
  return server.request('POST', '/api/auth/passkey/login', { json: { credential: await passkey.get(options.body, tamper) } });
}
