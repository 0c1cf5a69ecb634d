/**
 * The signing baselines, with jose as Gatehouse and node-oidc-provider sign (same library and key size):
 * `--alg RS512` (the default) signs Gatehouse's access-token claims, the limit of a refresh; `--alg RS256` signs an
 * RFC 9068 access token for a client (`typ: at+jwt`, the claims node-oidc-provider puts in a client-credentials
 * token), the limit of the OpenID provider's grants. `--concurrency` in flight, for a fixed time (or, with `--turns`,
 * for each stretch the harness asks for). Prints `RESULT {json}` (see bench/lib/raw-loop.ts).
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { measureRaw, reportAndExit, serveTurns } from '../lib/raw-loop.js';
import { readRawArgs } from '../lib/serve.js';

/** What each algorithm signs: the token it is the baseline of. */
const TOKENS = { RS512: gatehouseAccessToken, RS256: clientAccessToken } as const;

const options = readRawArgs();
const alg = (options.alg ?? 'RS512') as keyof typeof TOKENS;
if (!(alg in TOKENS)) throw new Error(`--alg must be one of ${Object.keys(TOKENS).join(', ')} (got ${alg})`);
// The same modulus as src/tokens/signing-keys.ts uses for RS512 and RS256 (the provider signs with those keys).
const { privateKey } = await generateKeyPair(alg, { modulusLength: 2048 });
const sign = async (): Promise<boolean> => (await TOKENS[alg](privateKey)).length > 0;
if (options.turns) await serveTurns(sign, options);
else reportAndExit(await measureRaw(sign, options));

/** Gatehouse's own access token (src/tokens): the user's e-mail, roles and session. */
function gatehouseAccessToken(key: CryptoKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: 'bench@example.com', roles: ['user'], sid: randomUUID() })
    .setProtectedHeader({ alg: 'RS512', kid: 'bench', typ: 'JWT' })
    .setSubject(randomUUID())
    .setIssuer('http://127.0.0.1')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti(randomUUID())
    .sign(key);
}

/** A client-credentials access token as node-oidc-provider makes it (RFC 9068: `sub`, `aud` and `client_id` the client). */
function clientAccessToken(key: CryptoKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'orders:read', client_id: 'bench-service' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'bench' })
    .setJti(randomUUID())
    .setSubject('bench-service')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setIssuer('http://127.0.0.1')
    .setAudience('bench-service')
    .sign(key);
}
