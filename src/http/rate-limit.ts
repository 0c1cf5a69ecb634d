import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { AppError } from './errors.js';

/** The limited actions of `rateLimit.*` (CONTRACT §2). */
export type LimitedAction = 'login' | 'register' | 'forgotPassword' | 'emailAvailable';

/** Which routes count towards which limit: every door to the same action shares one budget per address. */
const limitedRoutes: Record<string, LimitedAction> = {
  'POST /api/auth/login': 'login',
  'POST /auth/cookie': 'login',
  'POST /auth/login': 'login',
  'POST /account/login': 'login',
  'POST /api/auth/register': 'register',
  'POST /auth/register': 'register',
  'POST /api/auth/forgot-password': 'forgotPassword',
  'GET /auth/password-reset': 'forgotPassword',
  'GET /auth/email-available': 'emailAvailable',
};

interface Window {
  start: number;
  count: number;
}

/**
 * Requests per client address and window (`rateLimit.*`), counted in fixed windows in this process. The address is
 * Fastify's `request.ip`, so behind a proxy it is the real client's only with `server.trustProxy`. Sharing the
 * count across nodes (Redis) is the multi-node work's; one node's limit holds as configured.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private sweepAt = 0;

  constructor(
    private readonly config: Config['rateLimit'],
    private readonly clock: Clock,
  ) {}

  /** Throws `rate-limited` with Retry-After when this request is over its route's limit. */
  check(request: FastifyRequest): void {
    if (!this.config.enabled) return;
    const action = limitedRoutes[`${request.method} ${request.routeOptions.url}`];
    if (!action) return;
    const now = this.clock.now();
    this.sweep(now);
    const key = `${action}|${request.ip}`;
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.config.window) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    if (window.count > this.config[action]) {
      throw new AppError('rate-limited', `too many ${action} requests from this address; try again later`, {
        retryAfterSeconds: (window.start + this.config.window - now) / 1000,
      });
    }
  }

  /** Forgets finished windows now and then, so memory follows the number of active addresses, not all ever seen. */
  private sweep(now: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + this.config.window;
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.config.window) this.windows.delete(key);
    }
  }
}
