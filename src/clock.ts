import { randomBytes, randomUUID } from 'node:crypto';

/** The current time, injected so tests move it (token expiry, lockout, cron) without sleeping. */
export interface Clock {
  now(): number;
}

/** Real time. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests advance by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2030, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/** Randomness, injected for the same reason as the clock (ids and secrets are still cryptographically random by default). */
export interface RandomSource {
  bytes(size: number): Buffer;
  uuid(): string;
}

/** Node's CSPRNG. */
export const cryptoRandom: RandomSource = { bytes: (size) => randomBytes(size), uuid: () => randomUUID() };
