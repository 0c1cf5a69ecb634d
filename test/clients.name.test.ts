import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startServer, type TestServer } from './helpers/server.js';
import { problemsOf } from './helpers/config.js';

/* A client's optional display name (issue 16 item 8): the file, the API and the hosted login page. */

const ADMIN_PASSWORD = 'bootstrap-pw';
const seeded = [
  { clientID: 'demo', name: '  Demo App ', callbackURL: 'https://demo.example/cb' },
  { clientID: 'nameless', callbackURL: 'https://nameless.example/cb' },
];

describe.each(dialects)('client name on %s', (dialect) => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients: seeded }, env: { GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } })).body.accessToken;
  });
  afterAll(async () => {
    await server?.close();
  });
  const stored = (clientID: string) => server.app.services.database.db.selectFrom('clients').select('name').where('client_id', '=', clientID).executeTakeFirst();

  it('seeds the configured name (trimmed) and leaves it out where none was given', async () => {
    expect((await server.request('GET', '/clients/demo', { token: admin })).body.name).toBe('Demo App');
    const nameless = await server.request('GET', '/clients/nameless', { token: admin });
    expect(nameless.status).toBe(200);
    expect(nameless.body).not.toHaveProperty('name');
    expect((await stored('nameless'))?.name).toBeNull();
  });

  it('takes a name on POST and PUT, returns it, and drops it when a PUT omits it', async () => {
    const made = await server.request('POST', '/clients', { token: admin, json: { clientID: 'named', name: 'Named <App>', callbackURL: 'https://named.example/cb' } });
    expect(made.status).toBe(201);
    expect(made.body.name).toBe('Named <App>');
    expect((await server.request('GET', '/clients/named', { token: admin })).body.name).toBe('Named <App>');
    const listed = await server.request('GET', '/clients', { token: admin });
    expect(listed.body._embedded['ec:client'].find((c: { clientID: string }) => c.clientID === 'named').name).toBe('Named <App>');

    const renamed = await server.request('PUT', '/clients/named', { token: admin, json: { name: 'Renamed', callbackURL: 'https://named.example/cb' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Renamed');
    const cleared = await server.request('PUT', '/clients/named', { token: admin, json: { callbackURL: 'https://named.example/cb' } });
    expect(cleared.body).not.toHaveProperty('name');
    expect((await stored('named'))?.name).toBeNull();
  });

  it('refuses a bad name naming the field, and stores nothing', async () => {
    for (const name of ['', ' ', 'x'.repeat(101), 'tab\there', 42, null]) {
      const answer = await server.request('POST', '/clients', { token: admin, json: { clientID: 'bad-name', name, callbackURL: 'https://bad.example/cb' } });
      expect(answer.status, JSON.stringify(name)).toBe(400);
      expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain('name');
    }
    expect((await server.request('GET', '/clients/bad-name', { token: admin })).status).toBe(404);
  });

  it('names the client on its login and registration pages, escaped, and says "Sign in" without a name', async () => {
    await server.request('PUT', '/clients/named', { token: admin, json: { name: 'Named <App>', callbackURL: 'https://named.example/cb' } });
    const named = await server.request('GET', '/auth/login?clientID=named', { headers: { accept: 'text/html' } });
    expect(named.text).toContain('<h1>Sign in to Named &lt;App&gt;</h1>');
    expect(named.text).toContain('<title>Sign in to Named &lt;App&gt; · Gatehouse</title>');
    expect(named.text).toContain('<button type="submit">Sign in</button>');
    const german = await server.request('GET', '/auth/login?clientID=demo', { headers: { 'accept-language': 'de' } });
    expect(german.text).toContain('<h1>Bei Demo App anmelden</h1>');
    expect((await server.request('GET', '/auth/register?clientID=demo')).text).toContain('<h1>Create an account for Demo App</h1>');
    const nameless = await server.request('GET', '/auth/login?clientID=nameless');
    expect(nameless.text).toContain('<h1>Sign in</h1>');
    expect(nameless.text).not.toMatch(/Log in/);
  });
});

describe('clients[].name in the configuration', () => {
  it('is checked at load, naming the key', () => {
    expect(problemsOf({ clients: [{ clientID: 'a', callbackURL: 'https://a.example/cb', name: 'x'.repeat(101) }] }))
      .toEqual([expect.stringMatching(/^clients\[0\]\.name: must be 1 to 100 characters/)]);
    expect(problemsOf({ clients: [{ clientID: 'a', callbackURL: 'https://a.example/cb', name: 7 }] }))
      .toEqual([expect.stringMatching(/^clients\[0\]\.name: must be a string/)]);
  });
});
