import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from './helpers/admin-console.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/*
 * The invite API's audit trail, on SQLite and PostgreSQL: `POST /invites` and `DELETE /invites/{id}` write
 * `invite.created` and `invite.revoked` (InviteService, so the admin console's pages get them too) under the caller,
 * with `by` and the invites' ids — never a code; a refused or failed call writes nothing.
 */
describe.each(dialects)('invite audit events (%s)', (dialect) => {
  let server: TestServer;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    const login = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    expect(login.status, login.text).toBe(200);
    admin = login.body.accessToken;
    adminId = login.body.userId;
  });
  afterAll(async () => server?.close());
  const storedEvents = async (type: string) =>
    (await server.app.services.database.db.selectFrom('audit_events').select(['account_id', 'session_id', 'data']).where('type', '=', type).execute());

  it('audits a creation with the creator as by and the new ids, never the codes', async () => {
    const created = await server.request('POST', '/invites', { token: admin, json: { count: 2 } });
    expect(created.status, created.text).toBe(201);
    const ids = (await server.app.services.database.db.selectFrom('invites').select('id').execute()).map((row) => row.id);
    const events = await auditEvents(server, 'invite.created', adminId);
    expect(events).toEqual([{ by: adminId, count: 2, invites: expect.arrayContaining(ids) }]);
    expect((events[0]!.invites as string[]).length).toBe(2);
    const raw = JSON.stringify(await storedEvents('invite.created'));
    for (const code of created.body.codes as string[]) expect(raw).not.toContain(code);
    expect((await storedEvents('invite.created'))[0]!.session_id).not.toBeNull();
  });

  it('audits a withdrawal with by and the invite, and nothing for an unknown one', async () => {
    const [invite] = (await server.request('GET', '/invites', { token: admin })).body._embedded['ec:invite'] as Array<{ id: string }>;
    const deleted = await server.request('DELETE', `/invites/${invite!.id}`, { token: admin });
    expect(deleted.status, deleted.text).toBe(204);
    expect(await auditEvents(server, 'invite.revoked', adminId)).toEqual([{ by: adminId, invite: invite!.id }]);
    const again = await server.request('DELETE', `/invites/${invite!.id}`, { token: admin });
    expect(again.status).toBe(404);
    expect(await auditEvents(server, 'invite.revoked', adminId)).toHaveLength(1);
  });

  it('writes nothing for a caller without invites:write or for a bad count', async () => {
    const user = await registerAndLogin(server, `plain-${dialect}@example.com`);
    const before = (await storedEvents('invite.created')).length;
    expect((await server.request('POST', '/invites', { token: user.accessToken, json: { count: 1 } })).status).toBe(403);
    expect((await server.request('POST', '/invites', { token: admin, json: { count: 0 } })).status).toBe(400);
    const [invite] = (await server.request('GET', '/invites', { token: admin })).body._embedded['ec:invite'] as Array<{ id: string }>;
    expect((await server.request('DELETE', `/invites/${invite!.id}`, { token: user.accessToken })).status).toBe(403);
    expect(await storedEvents('invite.created')).toHaveLength(before);
    expect(await storedEvents('invite.revoked')).toHaveLength(1);
  });
});
