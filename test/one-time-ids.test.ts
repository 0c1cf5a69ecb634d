import { beforeAll, describe, expect, it } from 'vitest';
import { runCleanupOnce } from '../src/jobs/cleanup.js';
import { OneTimeIds } from '../src/providers/one-time-ids.js';
import { dialects, useTwoNodes, type TestServer } from './helpers/server.js';

describe.each(dialects)('one-time identity-provider credentials on %s', (dialect) => {
  const nodes = useTwoNodes(dialect);
  let a: TestServer;
  let b: TestServer;
  beforeAll(() => {
    ({ a, b } = nodes);
  });

  it('lets exactly one of many simultaneous claims win, across nodes', async () => {
    const nodes = [new OneTimeIds(a.app.services.database.db), new OneTimeIds(b.app.services.database.db)];
    const expiresAt = a.clock.now() + 60_000;
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => nodes[i % 2]!.claim('saml idp assertion-1', expiresAt)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await nodes[1]!.claim('cas ST-2', expiresAt)).toBe(true);
    expect(await nodes[0]!.claim('cas ST-2', expiresAt)).toBe(false);
  });

  it('forgets claims once they could no longer be valid (scheduled clean-up)', async () => {
    const ids = new OneTimeIds(a.app.services.database.db);
    await ids.claim('cas ST-old', a.clock.now() + 1000);
    a.clock.advance(1001);
    const { database: db, config } = a.app.services;
    const report = await runCleanupOnce(db.db, config, a.clock.now());
    expect(report?.usedCredentials).toBeGreaterThanOrEqual(1);
    expect(await ids.claim('cas ST-old', a.clock.now() + 1000)).toBe(true);
  });
});
