import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

describe('operations and API description', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite');
  });
  afterAll(async () => server?.close());

  it('answers /healthz and /readyz', async () => {
    expect((await server.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await server.request('GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it("answers a clear problem where GET / links a provider that is not configured (seed 000 lists ec:auth/google and facebook always)", async () => {
    const links = (await server.request('GET', '/')).body._links;
    expect(links['ec:auth/google'].href).toBe(`${server.url}/auth/google{?clientID}`);
    for (const [path, name, key] of [['/auth/google', 'Google', 'providers.google'], ['/auth/facebook', 'Facebook', 'providers.facebook'], ['/auth/oidc/corp', 'OpenID Connect provider corp', 'providers.oidc[].id']] as const) {
      const answer = await server.request('GET', path);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'not-found', detail: `${name} login is not configured on this server (set ${key})` });
    }
  });

  it('reports not ready when the database is gone', async () => {
    const other = await startServer('sqlite');
    try {
      await other.app.services.database.close();
      const answer = await other.request('GET', '/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe('unavailable');
    } finally {
      await other.app.close().catch(() => undefined);
      await other.smtp.close();
      await other.database.drop();
    }
  });

  it('publishes OpenAPI 3.1 generated from the route schemas, with every /api/auth endpoint', async () => {
    const spec = (await server.request('GET', '/openapi.json')).body;
    expect(spec.openapi).toBe('3.1.0');
    const paths = Object.keys(spec.paths);
    for (const path of ['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/guest', '/api/auth/logout', '/api/auth/account',
      '/api/auth/account/confirmed', '/api/auth/account/confirm', '/api/auth/admin/account', '/api/auth/forgot-password', '/api/auth/reset-password',
      '/auth/public-key', '/.well-known/jwks.json', '/healthz', '/readyz']) {
      expect(paths).toContain(path);
    }
    const login = spec.paths['/api/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.required).toContain('password');
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429']));
    // The account schema never exposes a secret.
    expect(JSON.stringify(spec.paths['/api/auth/account'].get.responses['200'])).not.toMatch(/hash|secret/i);
  });

  it('serves the API reference page at /docs', async () => {
    const page = await fetch(`${server.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
  });
});
