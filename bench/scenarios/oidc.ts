/**
 * Issue 18 item 7, the OpenID provider's grants at `POST /oidc/token`: client credentials, and the authorization-code
 * exchange with PKCE, each in turns with raw RS256 signing of a client's RFC 9068 access token
 * (bench/children/sign-raw.ts `--alg RS256`), the one signature each grant cannot avoid; target ≥ 0.4, as refresh.
 * Keycloak's published sizing for client credentials is quoted beside ours, as their number, not measured here.
 */
import { availableParallelism } from 'node:os';
import Database from 'better-sqlite3';
import { measureExchangesInTurns } from '../lib/code-exchange-load.js';
import { announce } from '../lib/cpu.js';
import { formatCount, formatRate } from '../lib/format.js';
import { FORM_HEADERS } from '../lib/http.js';
import { measureInTurns, type ScenarioResult } from '../lib/load.js';
import { basicAuth, CLIENT_CREDENTIALS_BODY, SERVICE_CLIENT, WEB_CLIENT } from '../lib/oidc-clients.js';
import { signInToProvider } from '../lib/oidc-codes.js';
import { CONNECTIONS } from '../lib/params.js';
import type { BenchServer } from '../lib/processes.js';
import { combinedStretches, type RawResult } from '../lib/raw-loop.js';
import { startSigningTurns, type RawTurns } from '../lib/raw-turns.js';
import { httpCell, mergeMeasured, rawCell, ratioTarget, type Measured } from '../lib/targets.js';

/** The runs' names, as the report lists them. */
export const CLIENT_CREDENTIALS = 'POST /oidc/token (client_credentials)';
export const CODE_EXCHANGE = 'POST /oidc/token (authorization_code, PKCE)';

/**
 * Keycloak's published sizing: 1 vCPU per 120 client-credential grants per second ("Concepts for sizing CPU and
 * memory resources", Keycloak 26 high-availability guide; tested there up to 2,000 per second, each client making one
 * request on a new TLS connection). Quoted for comparison, never measured here.
 */
const KEYCLOAK_GRANTS_PER_VCPU = 120;

/**
 * Both grants on `server`, client credentials first, each in turns with one RS256 signing process. `sqlitePath`,
 * when the server runs on SQLite, lets the report say what each run left in `oidc_records`.
 */
export async function measureOidcGrants(server: BenchServer, sqlitePath?: string): Promise<Measured> {
  const records = () => (sqlitePath ? countRecords(sqlitePath) : null);
  const signing = await startSigningTurns('RS256');
  try {
    const before = records();
    const clientCredentials = await measureClientCredentials(server, signing);
    const afterClientCredentials = records();
    const exchange = await measureCodeExchange(server, signing);
    const storage = before && afterClientCredentials ? [storageNote(before, afterClientCredentials, records()!)] : [];
    return mergeMeasured([clientCredentials, exchange, { targets: [], runs: {}, notes: storage }]);
  } finally {
    await signing.stop();
  }
}

/** Client credentials: one fixed request (the grant keeps no state), by autocannon as the other HTTP runs. */
async function measureClientCredentials(server: BenchServer, signing: RawTurns): Promise<Measured> {
  await announce(`${CLIENT_CREDENTIALS}, ${CONNECTIONS} connections, in turns with raw RS256 signing (${CONNECTIONS} in flight)`);
  const { result, others } = await measureInTurns({
    url: `${server.base}/oidc/token`, method: 'POST', body: CLIENT_CREDENTIALS_BODY,
    headers: { ...FORM_HEADERS, authorization: basicAuth(SERVICE_CLIENT) }, serverPid: server.child.pid!,
  }, (seconds) => signing.measure(seconds));
  const sign = combinedStretches(others);
  return grantMeasured('oidc-client-credentials', CLIENT_CREDENTIALS, result, sign, [keycloakNote(result)]);
}

/** The code exchange: codes made by the provider for the signed-in bench user, each exchanged once. */
async function measureCodeExchange(server: BenchServer, signing: RawTurns): Promise<Measured> {
  const minter = await signInToProvider(server.base);
  await announce(`${CODE_EXCHANGE}, ${CONNECTIONS} connections, a fresh code each, in turns with raw RS256 signing (${CONNECTIONS} in flight)`);
  const { result, others, dryStretches, codesMade } = await measureExchangesInTurns(server.base, server.child.pid!, minter, (seconds) => signing.measure(seconds));
  const sign = combinedStretches(others);
  const note = `Code exchange (${WEB_CLIENT.id}, scope "${WEB_CLIENT.scope}"): each request exchanged a code of its own, made by the provider ` +
    `at GET /oidc/auth for the signed-in bench user (single sign-on, first-party client) before each stretch and outside its CPU window ` +
    `(${formatCount(codesMade)} codes in all). Each exchange checks the client secret and the PKCE verifier, consumes the code, signs an RS256 ID token ` +
    `and stores an opaque access token and a refresh token.` +
    (dryStretches ? ` ${dryStretches} stretch(es) ran out of codes and ended early; their rate is taken over their shorter time.` : '');
  return grantMeasured('oidc-code-exchange', CODE_EXCHANGE, result, sign, [note]);
}

function grantMeasured(id: string, name: string, result: ScenarioResult, sign: RawResult, notes: string[]): Measured {
  const target = ratioTarget(
    { id, name: `${name} vs raw RS256 signing`, measured: httpCell(result, 'grants/s'), baseline: rawCell(sign, 'signatures'), target: 0.4 },
    result.rps, sign.perSecond);
  return { targets: [target], runs: { [name]: result }, raw: { [`raw RS256 signing (jose), in turns with ${name}`]: sign }, notes };
}

/** Ours per core beside Keycloak's published figure, each labelled for what it is. */
function keycloakNote(result: ScenarioResult): string {
  const cores = availableParallelism();
  const perServerCore = result.serverCpuCores ? ` The server itself used ${result.serverCpuCores.toFixed(2)} cores: ${formatRate(result.rps / result.serverCpuCores)} grants/s per core of its own CPU.` : '';
  return `Client credentials: ${formatRate(result.rps)} grants/s on this ${cores}-core machine, ${formatRate(result.rps / cores)} per vCPU ` +
    `(the load generator runs on the same cores).${perServerCore} For comparison only: Keycloak's published sizing guide ("Concepts for ` +
    `sizing CPU and memory resources") allocates 1 vCPU per ${KEYCLOAK_GRANTS_PER_VCPU} client-credential grants/s — their number, not measured ` +
    `here; their clients open a new TLS connection per grant, where this bench keeps plain-HTTP connections open.`;
}

/** Rows of `oidc_records` by model, read beside the running server (SQLite in WAL mode allows a reader). */
function countRecords(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('select model, count(*) as n from oidc_records group by model').all() as Array<{ model: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.model, row.n]));
  } finally {
    db.close();
  }
}

/** What each run added to `oidc_records`, by model; why: says which grant writes what, measured, not assumed. */
function storageNote(before: Record<string, number>, afterClientCredentials: Record<string, number>, afterExchange: Record<string, number>): string {
  const added = (from: Record<string, number>, to: Record<string, number>) => {
    const parts = Object.keys(to).sort().filter((model) => to[model]! > (from[model] ?? 0)).map((model) => `${model} +${to[model]! - (from[model] ?? 0)}`);
    return parts.length ? parts.join(', ') : 'no row';
  };
  const clientCredentials = added(before, afterClientCredentials);
  const stored = clientCredentials === 'no row' ? 'no row (their JWT access tokens are not stored)' : clientCredentials;
  return `oidc_records: the client-credentials runs (warm-ups included) added ${stored}; the code runs, minting included, ` +
    `added ${added(afterClientCredentials, afterExchange)}.`;
}
