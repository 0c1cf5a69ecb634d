import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

/** Above the listing's exact-count limit (50,000), so unfiltered pages report PostgreSQL's estimate. */
const ACCOUNTS = 60_000;

/** Adds `count` confirmed user accounts straight into the server's schema; why: registering 60,000 through the API takes minutes. */
async function bulkInsertAccounts(url: string, count: number, createdFrom: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `insert into accounts (id, username, username_key, email, email_key, type, confirmed, created_at)
       select gen_random_uuid()::text, 'bulk' || n || '@example.com', 'bulk' || n || '@example.com', 'bulk' || n || '@example.com',
              'bulk' || n || '@example.com', 'user', 1, $2::bigint + n
       from generate_series(1, $1::int) as n`,
      [count, createdFrom],
    );
    // What autovacuum does on a live install: the estimate comes from these statistics.
    await client.query('vacuum analyze accounts');
  } finally {
    await client.end();
  }
}

type Item = { id: string; createdAt: string };

describe('GET /accounts on a PostgreSQL table of more than 50,000 accounts', () => {
  let server: TestServer;
  let admin: string;
  const total = ACCOUNTS + 1;
  const get = async (query: string) => server.request('GET', `/accounts?${query}`, { token: admin });

  beforeAll(async () => {
    server = await startServer('postgres', { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } })).body.accessToken;
    await bulkInsertAccounts(server.database.url, ACCOUNTS, server.clock.now() + 1);
  }, 120_000);
  afterAll(async () => server?.close());

  it('reports an estimated total on early pages, with a next link', async () => {
    const first = await get('size=100');
    expect(first.body.count).toBe(100);
    expect(Math.abs(first.body.total - total) / total).toBeLessThan(0.05);
    expect(first.body._links.next.href).toMatch(new RegExp(`^${server.url}/accounts\\?page=2&size=100&after=[A-Za-z0-9_-]+$`));
  });

  it('reports the exact total once the last page is in view, and no next link there', async () => {
    const lastPage = Math.ceil(total / 100);
    const last = await get(`size=100&page=${lastPage}`);
    expect(last.body).toMatchObject({ count: total - 100 * (lastPage - 1), total });
    expect(last.body._links.next).toBeUndefined();
    const beyond = await get(`size=100&page=${lastPage + 10}`);
    expect(beyond.body.count).toBe(0);
    expect(beyond.body.total).toBeGreaterThan(0);
    expect(beyond.body.total).toBeLessThanOrEqual(100 * (lastPage + 9));
  });

  it('tiles deep pages in (createdAt, id) order without gaps or overlaps', async () => {
    const [a, b, both] = await Promise.all([get('size=50&page=399'), get('size=50&page=400'), get('size=100&page=200')]);
    const ids = (answer: { body: { _embedded: Record<string, Item[]> } }) => answer.body._embedded['ec:account']!.map((item) => item.id);
    expect([...ids(a), ...ids(b)]).toEqual(ids(both));
    const items = both.body._embedded['ec:account'] as Item[];
    const sorted = [...items].sort((x, y) => x.createdAt.localeCompare(y.createdAt) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    expect(items).toEqual(sorted);
  });

  it('reaches deep pages by cursor exactly as by number, estimate and end of the list included', async () => {
    const ids = (answer: { body: { _embedded: Record<string, Item[]> } }) => answer.body._embedded['ec:account']!.map((item) => item.id);
    const follow = async (answer: { body: { _links: { next: { href: string } } } }) => get(answer.body._links.next.href.split('?')[1]!);
    const before = await get('size=50&page=599');
    const byCursor = await follow(before);
    expect(byCursor.body._links.self.href).toContain('page=600&size=50&after=');
    const byNumber = await get('size=50&page=600');
    expect(ids(byCursor)).toEqual(ids(byNumber));
    expect(byCursor.body.total).toBe(byNumber.body.total);
    expect(Math.abs(byCursor.body.total - total) / total).toBeLessThan(0.05);
    // Pages 599 (by number) and 600 (by cursor) tile with page 300 of 100, and the next cursor page is page 601.
    expect([...ids(before), ...ids(byCursor)]).toEqual(ids(await get('size=100&page=300')));
    expect(ids(await follow(byCursor))).toEqual(ids(await get('size=50&page=601')));
    // Into the last page by cursor: exact total and no next link.
    const lastPage = Math.ceil(total / 50);
    const end = await follow(await get(`size=50&page=${lastPage - 1}`));
    expect(end.body).toMatchObject({ count: total - 50 * (lastPage - 1), total });
    expect(end.body._links.next).toBeUndefined();
  });

  it('counts filtered lists exactly', async () => {
    const users = await get('type=user&size=10');
    expect(users.body.total).toBe(total);
    const byEmail = await get('email=bulk777@example.com');
    expect(byEmail.body).toMatchObject({ count: 1, total: 1 });
  });
});
