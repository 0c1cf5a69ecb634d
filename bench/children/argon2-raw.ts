/**
 * The login baseline: argon2id verifies with the production parameters, `--concurrency` in flight, for a fixed time
 * (or, with `--turns`, for each stretch the harness asks for).
 * Why: runs in its own process so it has the libuv threadpool to itself, exactly like the server's hasher would.
 * Prints `RESULT {json}` (see {@link RawResult}).
 */
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { BENCH_USER, PRODUCTION_HASH } from '../lib/params.js';
import { measureRaw, reportAndExit, serveTurns } from '../lib/raw-loop.js';
import { readRawArgs } from '../lib/serve.js';

// `Algorithm` is a const enum in the typings and `{}` at runtime (see src/passwords/hasher.ts).
const ARGON2ID = 2 as Algorithm;

const options = readRawArgs();
const stored = await hash(BENCH_USER.password, { ...PRODUCTION_HASH, algorithm: ARGON2ID });
const verifyOnce = () => verify(stored, BENCH_USER.password);
if (options.turns) await serveTurns(verifyOnce, options);
else reportAndExit(await measureRaw(verifyOnce, options));
