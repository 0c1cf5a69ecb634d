import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const unique = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

describe.each(dialects)('POST /api/auth/account/confirmation: a new confirmation link, on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => server?.close());

  const confirmations = (email: string) => server.smtp.messages.filter((mail) => mail.to.includes(email) && mail.subject.includes('Confirm'));
  const resend = (body: unknown) => server.request('POST', '/api/auth/account/confirmation', { json: body });

  it('mails an unconfirmed account a new link that confirms it', async () => {
    const email = unique('resend');
    expect((await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
    await server.smtp.waitFor((mail) => mail.to.includes(email));
    const refused = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(refused.headers.get('x-error-code') ?? refused.body.code).toBe('account-not-confirmed');
    const answer = await resend({ email: email.toUpperCase() });
    expect(answer.status).toBe(202);
    const second = await server.smtp.waitFor(() => confirmations(email).length === 2);
    expect((await fetch(server.smtp.linkIn(second, '/auth/confirm/'))).status).toBe(200);
    expect((await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).status).toBe(200);
  });

  it('answers 202 and mails nothing for an unknown address or a confirmed account', async () => {
    const confirmed = unique('resend-confirmed');
    await registerAndLogin(server, confirmed);
    const unknown = unique('resend-unknown');
    expect((await resend({ email: unknown })).status).toBe(202);
    expect((await resend({ email: confirmed })).status).toBe(202);
    // A request that does mail, sent after them: once its mail is here, theirs would have been too.
    const pending = unique('resend-pending');
    await server.request('POST', '/api/auth/register', { json: { email: pending, password: goodPassword } });
    expect((await resend({ email: pending })).status).toBe(202);
    await server.smtp.waitFor(() => confirmations(pending).length === 2);
    expect(confirmations(unknown)).toHaveLength(0);
    expect(confirmations(confirmed)).toHaveLength(1);
  });

  it('refuses bad input naming the field', async () => {
    for (const body of [{}, { email: 'not-an-address' }, { email: 42 }, { email: 'a@example.com', extra: true }]) {
      const answer = await resend(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(answer.body.errors)).toMatch(/email|extra/);
    }
  });
});

describe('POST /api/auth/account/confirmation is rate limited with forgot-password', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { rateLimit: { enabled: true, forgotPassword: 2 } } });
  });
  afterAll(async () => server?.close());

  it('shares rateLimit.forgotPassword: the third mail request from one address in the window is 429', async () => {
    expect((await server.request('POST', '/api/auth/forgot-password', { json: { email: 'someone@example.com' } })).status).toBe(202);
    expect((await server.request('POST', '/api/auth/account/confirmation', { json: { email: 'someone@example.com' } })).status).toBe(202);
    const third = await server.request('POST', '/api/auth/account/confirmation', { json: { email: 'someone@example.com' } });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
