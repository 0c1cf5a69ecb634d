import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { RouteLatency } from './route-latency.js';

/**
 * The server's Prometheus metrics, in a registry of its own per app (two apps in one test process must not share
 * counters): logins by method and result, lockouts, access tokens issued and verified, scheduled jobs, request latency.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly logins = new Counter({ name: 'gatehouse_logins_total', help: 'Login attempts by method and result', labelNames: ['method', 'result'] as const, registers: [this.registry] });
  readonly lockouts = new Counter({ name: 'gatehouse_lockouts_total', help: 'Temporary lockouts started', registers: [this.registry] });
  readonly tokensIssued = new Counter({ name: 'gatehouse_tokens_issued_total', help: 'Access tokens signed', registers: [this.registry] });
  readonly tokensVerified = new Counter({ name: 'gatehouse_tokens_verified_total', help: 'Access tokens checked, by outcome (cache: answered from the verification cache)', labelNames: ['result'] as const, registers: [this.registry] });
  readonly scheduledJobs = new Counter({ name: 'gatehouse_scheduled_jobs_total', help: 'Scheduled job slots by outcome (ran here, skipped: another node ran it, failed)', labelNames: ['job', 'result'] as const, registers: [this.registry] });
  /** Request latency by method, route pattern and status class, observed by a hook each route gets (app.ts). */
  readonly requestDuration = new RouteLatency(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }
}
