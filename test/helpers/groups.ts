import { afterAll, beforeAll, expect } from 'vitest';
import { registerAndLogin, startServer, type Answer, type Dialect, type TestServer } from './server.js';

/*
 * What the groups suites (test/groups.*.test.ts) share: the server with its cast of accounts, and the answers to
 * expect from it.
 */

/** A well-formed UUID that names nothing. */
export const unknownId = '00000000-0000-4000-8000-000000000000';

/** A problem+json answer with this status and code, naming at least these fields. */
export function expectProblem(answer: Answer, status: number, code: string, fields: string[] = []): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
  if (fields.length) {
    const named = (answer.body.errors ?? []).map((e: { field: string }) => e.field);
    for (const field of fields) expect(named, answer.text).toContain(field);
  }
}

/** A HAL answer with this status. */
export function expectHal(answer: Answer, status: number): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/hal\+json/);
}

/** How many rows the group tables (and accounts) hold: a refused request changes none of them. */
export async function counts(server: TestServer): Promise<Record<string, number>> {
  const db = server.app.services.database.db;
  const result: Record<string, number> = {};
  for (const table of ['groups', 'memberships', 'permissions', 'accounts'] as const) {
    const row = await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

/** An account logged in through the API. */
export type Member = { userId: string; accessToken: string };

/** The server of one dialect and who is who on it; filled in by `beforeAll`. */
export interface GroupsServer {
  server: TestServer;
  base: string;
  /** sysadmin (the bootstrap admin). */
  sys: string;
  sysId: string;
  /** A plain user. */
  alice: Member;
  /** Holds `groups:*` through a group, nothing else. */
  bob: Member;
  /** Holds the admin role. */
  carol: Member;
  /** A user to move between groups. */
  dave: Member;
  /** `POST /groups` with this token and body. */
  create(token: string, json: unknown): Promise<Answer>;
}

/**
 * Starts the server the groups suites run against, with sysadmin, alice, bob (a group admin), carol (an admin) and
 * dave logged in, and closes it after the suite.
 */
export function useGroupsServer(dialect: Dialect): GroupsServer {
  const cast = {} as GroupsServer;
  const create = async (token: string, json: unknown) => cast.server.request('POST', '/groups', { token, json });
  cast.create = create;
  beforeAll(async () => {
    const server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    cast.server = server;
    cast.base = server.url;
    const login = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    const sys = login.body.accessToken;
    cast.sys = sys;
    cast.sysId = login.body.userId;
    cast.alice = await registerAndLogin(server, 'alice@example.com');
    const bob = await registerAndLogin(server, 'bob@example.com');
    cast.bob = bob;
    const carol = await registerAndLogin(server, 'carol@example.com');
    cast.carol = carol;
    cast.dave = await registerAndLogin(server, 'dave@example.com');
    const groupAdmins = await create(sys, { name: 'group-admins', permissions: ['groups:*'] });
    expect(groupAdmins.status, groupAdmins.text).toBe(201);
    expect((await server.request('PUT', `/groups/${groupAdmins.body.id}/accounts/${bob.userId}`, { token: sys })).status).toBe(204);
    expect((await server.request('PUT', `/groups/admin/accounts/${carol.userId}`, { token: sys })).status).toBe(204);
  });
  afterAll(async () => {
    await cast.server?.close();
  });
  return cast;
}
