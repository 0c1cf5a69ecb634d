/**
 * The authorization-code exchange under load: `POST /oidc/token` with `grant_type=authorization_code`, each request
 * with a code of its own (a code is good once: autocannon's fixed body would measure `invalid_grant` after the first).
 * Codes are made before each stretch (bench/lib/oidc-codes.ts) and live 60 s, so each stretch gets fresh ones.
 */
import { Agent } from 'node:http';
import { processRssMiB, waitForIdleServer } from './cpu.js';
import { FORM_HEADERS, send, type Probe } from './http.js';
import { alternate, measureStretch, type ScenarioResult, type Stretch, type Turn } from './load.js';
import { basicAuth, codeExchangeBody, WEB_CLIENT } from './oidc-clients.js';
import type { CodeMinter } from './oidc-codes.js';
import { CONNECTIONS, TIMING } from './params.js';
import { summarizeLoops, type LoopRun } from './refresh-load.js';

/** What a stretch of exchanges did; `ranDry` when the codes ran out before its time did (it then ends early). */
export interface ExchangeRun extends LoopRun {
  ranDry: boolean;
}

/** Exchanges per second assumed before the warm-up has measured any (about what two cores did here, warm). */
const FIRST_GUESS_PER_SECOND = 600;
/** Codes made per stretch beyond the rate measured so far; why: the next stretch may run faster than the last. */
const HEADROOM = 1.5;

/** What the code-exchange run answers: the run, the other side's turns, and the stretches that ran out of codes. */
export interface ExchangeResult<T> {
  result: ScenarioResult;
  others: T[];
  dryStretches: number;
  codesMade: number;
}

/**
 * A warm-up, then stretches of exchanges in turns with `other` (bench/lib/load.ts `alternate`). Each stretch is
 * given codes for its length at the rate measured so far, with headroom; minting happens before the stretch's CPU
 * window opens, and the server is idle again before it does.
 */
export async function measureExchangesInTurns<T>(base: string, serverPid: number, minter: CodeMinter, other: Turn<T>): Promise<ExchangeResult<T>> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const server = new URL(base);
  let perSecond = FIRST_GUESS_PER_SECOND;
  let codesMade = 0;
  const codesFor = async (seconds: number) => {
    const codes = await minter.mint(Math.ceil(perSecond * seconds * HEADROOM) + CONNECTIONS);
    codesMade += codes.length;
    return codes;
  };
  try {
    const warmupCodes = await codesFor(TIMING.warmupSeconds);
    await waitForIdleServer(serverPid);
    const warmup = await runExchanges(server, agent, warmupCodes, TIMING.warmupSeconds);
    perSecond = Math.max(perSecond / 4, warmup.ok / warmup.seconds);
    const stretch = async (seconds: number): Promise<Stretch<ExchangeRun>> => {
      const codes = await codesFor(seconds);
      const measured = await measureStretch(serverPid, () => runExchanges(server, agent, codes, seconds), (run) => run.seconds);
      perSecond = Math.max(perSecond / 4, measured.run.ok / measured.run.seconds);
      return measured;
    };
    const { stretches, others } = await alternate(serverPid, stretch, other);
    const result = { ...summarizeLoops(stretches), warmupFailures: warmup.errors + warmup.non2xx, serverRssMiB: processRssMiB(serverPid) };
    return { result, others, dryStretches: stretches.filter((s) => s.run.ranDry).length, codesMade };
  } finally {
    agent.destroy();
  }
}

/** `CONNECTIONS` loops exchanging codes until `seconds` pass or the codes run out. */
async function runExchanges(server: URL, agent: Agent, codes: string[], seconds: number): Promise<ExchangeRun> {
  const run: ExchangeRun = { durations: [], ok: 0, errors: 0, non2xx: 0, statusCodes: {}, seconds: 0, ranDry: false };
  const start = performance.now();
  const end = start + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const code = codes.pop();
      if (code === undefined) {
        run.ranDry = true;
        return;
      }
      const t0 = performance.now();
      const answer = await send(server, agent, exchangeProbe(code)).catch(() => null);
      run.durations.push(performance.now() - t0);
      if (!answer) {
        run.errors++;
        continue;
      }
      run.statusCodes[answer.status] = (run.statusCodes[answer.status] ?? 0) + 1;
      // An answer without an ID token is no sign-in: counted as a failure like any other wrong answer.
      if (answer.status === 200 && answer.body.includes('"id_token"')) run.ok++;
      else run.non2xx++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  run.seconds = (performance.now() - start) / 1000;
  return run;
}

/** The web app's client authentication, the same on every exchange. */
const AUTHORIZATION = basicAuth(WEB_CLIENT);

function exchangeProbe(code: string): Probe {
  const body = codeExchangeBody(code);
  return { method: 'POST', path: '/oidc/token', body, headers: { ...FORM_HEADERS, authorization: AUTHORIZATION, 'content-length': String(Buffer.byteLength(body)) } };
}
