import type { onRequestHookHandler } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Awaitable } from '../util/awaitable.js';
import { AppError } from './errors.js';

/** The limited actions of `rateLimit.*` (CONTRACT §2). */
export type LimitedAction = 'login' | 'register' | 'forgotPassword' | 'emailAvailable';

/** Which routes count towards which limit: every door to the same action shares one budget per address. */
const limitedRoutes: Record<string, LimitedAction> = {
  'POST /api/auth/login': 'login',
  'POST /auth/cookie': 'login',
  'POST /auth/login': 'login',
  'POST /account/login': 'login',
  'POST /admin/sign-in': 'login',
  // Each start of a SAML login stores a pending request: its budget is the login's.
  'GET /auth/saml': 'login',
  // The second step of a login: a code guessed per request, so it spends the login's budget (CONTRACT §5).
  'POST /api/auth/mfa/verify': 'login',
  'POST /auth/login/mfa': 'login',
  'POST /account/login/mfa': 'login',
  'POST /admin/sign-in/mfa': 'login',
  // A passkey login is a login; each request for options stores a challenge, so those spend the same budget.
  'POST /api/auth/passkey/login': 'login',
  'POST /auth/login/passkey': 'login',
  'POST /api/auth/passkey/options': 'login',
  'POST /api/auth/mfa/webauthn/options': 'login',
  'POST /api/auth/passkeys/step-up/options': 'login',
  // Codes and passwords checked outside a login (enrolment, step-up) spend the same budget.
  'POST /api/auth/mfa/totp/confirm': 'login',
  'DELETE /api/auth/mfa/totp': 'login',
  'POST /api/auth/mfa/recovery-codes': 'login',
  'POST /account/mfa/totp/confirm': 'login',
  'POST /auth/mfa/enrol': 'login',
  'POST /auth/mfa/enrol/passkey': 'login',
  'POST /account/mfa/totp/remove': 'login',
  'POST /account/mfa/recovery-codes': 'login',
  'DELETE /api/auth/passkeys/:id': 'login',
  'POST /account/mfa/passkeys/remove': 'login',
  'POST /api/auth/register': 'register',
  'POST /auth/register': 'register',
  // A guest is a new account too: creating guests and registering share one budget (issue 14: 1,000 guests in 3 s).
  'POST /api/auth/guest': 'register',
  'POST /api/auth/forgot-password': 'forgotPassword',
  'GET /auth/password-reset': 'forgotPassword',
  // Mails a link like forgot-password does: the same budget keeps either from being used to flood an inbox.
  'POST /api/auth/account/confirmation': 'forgotPassword',
  'POST /auth/confirmation': 'forgotPassword',
  'GET /auth/email-available': 'emailAvailable',
  // Answers per login name whether it is a confirmed account: as good a probe of who is registered as email-available.
  'GET /api/auth/account/confirmed': 'emailAvailable',
};

interface Window {
  start: number;
  count: number;
}

/** Where the counts live: this process, or Redis shared by every node. */
export interface RateLimitStore {
  /** Counts one request for `key`; answers the count in the current window and the milliseconds it has left. */
  hit(key: string, windowMs: number, now: number): Promise<{ count: number; remainingMs: number }>;
  close(): Promise<void>;
}

/** Fixed windows in this process's memory, each starting at its first request. */
export class MemoryStore implements RateLimitStore {
  private readonly windows = new Map<string, Window>();
  private sweepAt = 0;

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; remainingMs: number }> {
    this.sweep(now, windowMs);
    let window = this.windows.get(key);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return { count: window.count, remainingMs: window.start + windowMs - now };
  }

  async close(): Promise<void> {}

  /** Forgets finished windows now and then, so memory follows the number of active addresses, not all ever seen. */
  private sweep(now: number, windowMs: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + windowMs;
    for (const [key, window] of this.windows) {
      if (now - window.start >= windowMs) this.windows.delete(key);
    }
  }
}

/** One atomic step: count, start the window's expiry on its first request, and report what is left of it. */
const HIT_SCRIPT = `local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;

/**
 * Counts in Redis, shared by every node (`redis.url`): the limit holds for the cluster, not per node. Windows expire
 * on Redis's clock. `namespace` keeps clusters that share one Redis apart.
 */
export class RedisStore implements RateLimitStore {
  private readonly redis: Redis;

  constructor(url: string, private readonly namespace: string) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; remainingMs: number }> {
    if (this.redis.status === 'wait') await this.redis.connect();
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, `gatehouse:${this.namespace}:rl:${key}`, String(windowMs))) as [number, number];
    return { count, remainingMs: ttl > 0 ? ttl : windowMs };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * Requests per client address and window (`rateLimit.*`). The address is Fastify's `request.ip`, so behind a proxy
 * it is the real client's only with `server.trustProxy`. Counted in Redis when configured (shared by the cluster),
 * else in each process.
 */
export class RateLimiter {
  constructor(
    private readonly config: Config['rateLimit'],
    private readonly clock: { now(): number },
    private readonly store: RateLimitStore,
  ) {}

  /**
   * The `onRequest` hook of a route that has a limit, or undefined for the routes that have none (most of them), so
   * those pay nothing per request. Attached once per route by app.ts's `onRoute` hook; throws `rate-limited` with
   * Retry-After when the caller's address is over the limit.
   */
  hookFor(route: { method: string | string[]; url: string }): onRequestHookHandler | undefined {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Fastify answers HEAD on every GET route by running it: a HEAD does the GET's work, so it spends the GET's budget.
    const action = methods.map((method) => limitedRoutes[`${method === 'HEAD' ? 'GET' : method} ${route.url}`]).find(Boolean);
    if (!action || !this.config.enabled) return undefined;
    return (request, _reply, done) => {
      this.count(action, request.ip).then(() => done(), done);
    };
  }

  /**
   * Counts one password check that no route names: an HTTP Basic credential not verified before (CONTRACT §5), which
   * shares the address's `rateLimit.login` budget. Throws `rate-limited` when over it.
   */
  countLogin(ip: string): Awaitable<void> {
    if (this.config.enabled) return this.count('login', ip);
  }

  private async count(action: LimitedAction, ip: string): Promise<void> {
    const { count, remainingMs } = await this.store.hit(`${action}|${ip}`, this.config.window, this.clock.now());
    if (count > this.config[action]) {
      throw new AppError('rate-limited', `too many ${action} requests from this address; try again later`, { retryAfterSeconds: remainingMs / 1000 });
    }
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
