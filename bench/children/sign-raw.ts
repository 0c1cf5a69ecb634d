/**
 * The refresh baseline: RS512 access tokens signed with jose, as Gatehouse signs them (same library, key size and
 * claims), `--concurrency` in flight, for a fixed time (or, with `--turns`, for each stretch the harness asks for).
 * Prints `RESULT {json}` (see bench/lib/raw-loop.ts).
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { measureRaw, reportAndExit, serveTurns } from '../lib/raw-loop.js';
import { readRawArgs } from '../lib/serve.js';

const options = readRawArgs();
// The same algorithm and modulus as src/tokens/signing-keys.ts uses for RS512.
const { privateKey } = await generateKeyPair('RS512', { modulusLength: 2048 });
const sign = async (): Promise<boolean> => {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ email: 'bench@example.com', roles: ['user'], sid: randomUUID() })
    .setProtectedHeader({ alg: 'RS512', kid: 'bench', typ: 'JWT' })
    .setSubject(randomUUID())
    .setIssuer('http://127.0.0.1')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti(randomUUID())
    .sign(privateKey);
  return token.length > 0;
};
if (options.turns) await serveTurns(sign, options);
else reportAndExit(await measureRaw(sign, options));
