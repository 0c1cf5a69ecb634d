import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import { parseConfig } from '../src/config/index.js';
import { createTestDatabase, fastHash, goodPassword, type TestDatabase } from './helpers/server.js';

describe('structured request logs', () => {
  let database: TestDatabase;
  let log = '';
  let app: Awaited<ReturnType<typeof createApp>>;
  let url: string;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const config = parseConfig({ database: { url: database.url }, password: { hash: fastHash }, signup: { alwaysConfirm: true }, email: { outboxDir: `${database.url.slice(7)}-outbox` } }, {});
    app = await createApp(config, { clock: new ManualClock(Date.now()), logStream: stream });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('never contain passwords, tokens, cookies or Basic credentials', async () => {
    const post = (path: string, body: unknown) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post('/api/auth/register', { email: 'logged@example.com', password: goodPassword });
    const token = (await (await post('/api/auth/login', { email: 'logged@example.com', password: goodPassword })).json()) as { accessToken: string; refreshToken: string };
    await fetch(`${url}/api/auth/account`, { headers: { authorization: `Bearer ${token.accessToken}` } });
    await fetch(`${url}/api/auth/account?_token=${token.accessToken}`);
    await post('/api/auth/refresh', { refreshToken: token.refreshToken });
    const cookie = await fetch(`${url}/auth/cookie`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `auth_username=logged@example.com&auth_password=${goodPassword}` });
    const credential = cookie.headers.getSetCookie()[0]!.split(';')[0]!;
    await fetch(`${url}/auth/user`, { headers: { cookie: credential, authorization: `Basic ${Buffer.from(`logged@example.com:${goodPassword}`).toString('base64')}` } });
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(log).toContain('"url":"/api/auth/login"');
    expect(log).toContain('[redacted]');
    for (const secret of [goodPassword, token.accessToken, token.accessToken.split('.')[2]!, token.refreshToken, credential.split('=')[1]!, Buffer.from(`logged@example.com:${goodPassword}`).toString('base64')]) {
      expect(log).not.toContain(secret);
    }
  });
});
