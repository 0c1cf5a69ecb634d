import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './helpers/problems.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

describe.each(dialects)('operations: /audit and /metrics on %s', (dialect) => {
  let server: TestServer;
  let admin: string;
  let user: Awaited<ReturnType<typeof registerAndLogin>>;
  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' }, config: { lockout: { maxAttempts: 2 } } });
    admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } })).body.accessToken;
    user = await registerAndLogin(server, 'audited@example.com');
    for (let i = 0; i < 3; i++) await server.request('POST', '/api/auth/login', { json: { email: 'audited@example.com', password: 'wrong' } });
    await server.request('POST', '/api/auth/logout', { token: user.accessToken });
  });
  afterAll(async () => server?.close());

  it('lists security events newest first, filtered by type prefix and account, paged', async () => {
    const all = await server.request('GET', '/audit?size=5', { token: admin });
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toContain('application/hal+json');
    const events = all.body._embedded['ec:audit-event'];
    expect(events).toHaveLength(5);
    expect(events[0].id).toBeGreaterThan(events[1].id);
    expect(all.body._links.next.href).toContain('page=2');

    const logins = (await server.request('GET', `/audit?type=login.&accountId=${user.userId}&size=50`, { token: admin })).body._embedded['ec:audit-event'];
    const types = logins.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['login.succeeded', 'login.failed', 'login.locked']));
    expect(types.every((t: string) => t.startsWith('login.'))).toBe(true);
    const exact = (await server.request('GET', `/audit?type=logout&accountId=${user.userId}`, { token: admin })).body;
    expect(exact.total).toBe(1);
    expect(JSON.stringify(all.body)).not.toMatch(/wrong|Correct-Horse/);
    const future = (await server.request('GET', `/audit?from=${new Date(server.clock.now() + 60_000).toISOString()}`, { token: admin })).body;
    expect(future.total).toBe(0);
  });

  it('needs audit:read, and refuses bad filters naming the field', async () => {
    const other = await registerAndLogin(server, 'curious@example.com');
    expectProblem(await server.request('GET', '/audit', { token: other.accessToken }), 403, 'forbidden');
    expectProblem(await server.request('GET', '/audit'), 401, 'unauthorized');
    for (const [query, field] of [['type=DROP%20TABLE', 'type'], ['accountId=1', 'accountId'], ['from=yesterday', 'from'], ['size=1000', 'size']]) {
      expectProblem(await server.request('GET', `/audit?${query}`, { token: admin }), 400, 'invalid-request', { fields: [field!] });
    }
  });

  it('exposes Prometheus metrics: logins by method and result, lockouts, tokens, latency', async () => {
    await server.request('POST', '/api/auth/login', { json: { email: 'curious@example.com', password: goodPassword } });
    const metrics = await server.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const value = (pattern: RegExp) => Number(pattern.exec(metrics.text)?.[1] ?? NaN);
    expect(value(/gatehouse_logins_total\{method="password",result="success"\} (\d+)/)).toBeGreaterThanOrEqual(3);
    expect(value(/gatehouse_logins_total\{method="password",result="failure"\} (\d+)/)).toBe(2);
    expect(value(/gatehouse_logins_total\{method="password",result="locked"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(value(/gatehouse_lockouts_total (\d+)/)).toBe(1);
    expect(value(/gatehouse_tokens_issued_total (\d+)/)).toBeGreaterThanOrEqual(3);
    expect(value(/gatehouse_tokens_verified_total\{result="valid"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(value(/gatehouse_tokens_verified_total\{result="cache"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(metrics.text).toMatch(/gatehouse_http_request_duration_seconds_bucket\{le="[0-9.]+",method="POST",route="\/api\/auth\/login",status="2xx"\}/);
    // Labels carry route patterns, never ids or tokens.
    expect(metrics.text).not.toMatch(/route="\/accounts\/[0-9a-f]{8}-/);
  });
});
