import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../src/http/errors.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('GET /docs/errors: where every problem type leads', () => {
  let server: TestServer;
  let page: string;
  let csp: string | null;
  beforeAll(async () => {
    server = await startServer('sqlite');
    const answer = await fetch(`${server.url}/docs/errors`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    csp = answer.headers.get('content-security-policy');
    page = await answer.text();
  });
  afterAll(async () => server?.close());

  it('has a section for every code of the registry, with its status and title', () => {
    for (const [code, { status, title }] of Object.entries(errorCodes)) {
      const section = new RegExp(`<section id="${code}">\\s*<h2><code>${code}</code></h2>\\s*<p>HTTP ${status} · ${title}</p>\\s*<p>[^<]{20,}`);
      expect(page, code).toMatch(section);
    }
  });

  it('resolves the type of problems the API really answers with', async () => {
    const problems = [
      await server.request('GET', '/no-such-route'),
      await server.request('POST', '/api/auth/login', { json: { email: 'nobody@example.com', password: 'wrong-password-1' } }),
      await server.request('POST', '/api/auth/login', { json: { email: 42 } }),
      await server.request('GET', '/accounts'),
    ];
    expect(problems.map((answer) => answer.body.code)).toEqual(['not-found', 'invalid-credentials', 'invalid-request', 'unauthorized']);
    for (const answer of problems) {
      const [path, anchor] = String(answer.body.type).split('#');
      expect(path).toBe('/docs/errors');
      const target = await fetch(`${server.url}${path}`);
      expect(target.status).toBe(200);
      expect(await target.text()).toContain(`<section id="${anchor}">`);
    }
  });

  it('is a hosted page: its own strict CSP, no script', () => {
    expect(csp).toMatch(/^default-src 'none';/);
    expect(csp).not.toMatch(/script-src/);
    expect(page).not.toMatch(/<script/i);
  });
});
