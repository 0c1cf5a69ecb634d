import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Verifies a Gatehouse JWT with Debian's PyJWT — an implementation that shares no code with jose, so a token that
 * passes here is a standard JWT and not merely one our own library agrees with.
 * `/usr/bin/python3` on purpose: `python3` on PATH is a pyenv without the module (global-setup installs python3-jwt).
 */
export const systemPython = '/usr/bin/python3';

/** What to verify a token against: the JWKS (and PEM) for asymmetric algorithms, the secret for HS512. */
export interface PyJwtInput {
  token: string;
  algorithm: string;
  issuer: string;
  jwks?: { keys: Array<Record<string, unknown>> };
  pem?: string;
  secret?: string;
  /** The audience the token must name (PyJWT refuses a token with `aud` when none is given). */
  audience?: string;
}

/** The verified header and claims, once per key source (JWKS entry and PEM). */
export interface PyJwtResult {
  version: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  claimsFromPem?: Record<string, unknown>;
  /** PyJWT's error when the same token is verified with a wrong issuer (it must fail). */
  wrongIssuerError: string;
}

const script = String.raw`
import json, sys
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

data = json.loads(sys.argv[1])
token, alg, issuer = data["token"], data["algorithm"], data["issuer"]
required = {"require": ["jti", "sub", "iss", "iat", "exp"]}
header = jwt.get_unverified_header(token)
out = {"version": jwt.__version__, "header": header}

if alg.startswith("HS"):
    key = data["secret"]
else:
    matches = [k for k in data["jwks"]["keys"] if k.get("kid") == header.get("kid")]
    if len(matches) != 1:
        sys.exit("expected exactly one JWKS key with kid %r, found %d" % (header.get("kid"), len(matches)))
    key = jwt.PyJWK(matches[0]).key

out["claims"] = jwt.decode(token, key, algorithms=[alg], issuer=issuer, audience=data.get("audience"), options=required)
if data.get("pem"):
    out["claimsFromPem"] = jwt.decode(token, load_pem_public_key(data["pem"].encode()), algorithms=[alg], issuer=issuer, audience=data.get("audience"), options=required)

try:
    jwt.decode(token, key, algorithms=[alg], issuer=issuer + "-other")
    out["wrongIssuerError"] = ""
except jwt.InvalidIssuerError as error:
    out["wrongIssuerError"] = type(error).__name__

print(json.dumps(out))
`;

const run = promisify(execFile);

/** Runs PyJWT on the token; rejects (with PyJWT's message) when it does not verify. */
export async function verifyWithPyJwt(input: PyJwtInput): Promise<PyJwtResult> {
  const { stdout } = await run(systemPython, ['-c', script, JSON.stringify(input)], { timeout: 20_000 });
  return JSON.parse(stdout) as PyJwtResult;
}
