import { expect } from 'vitest';
import type { Answer, TestServer } from './server.js';

/** Checks the RFC 9457 shape, the status, the code, `x-error-code` on 401, and the named fields or rules. */
export function expectProblem(answer: Answer, status: number, code: string, more: { fields?: string[]; rules?: string[] } = {}): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code });
  if (status === 401) expect(answer.headers.get('x-error-code')).toBe(code);
  if (code === 'invalid-request') {
    expect(Array.isArray(answer.body.errors), answer.text).toBe(true);
    for (const error of answer.body.errors) expect(error).toMatchObject({ field: expect.any(String), message: expect.any(String) });
  }
  const named = (answer.body.errors ?? []).map((e: { field: string }) => e.field);
  for (const field of more.fields ?? []) expect(named, answer.text).toContain(field);
  if (code === 'password-policy') {
    expect(answer.body.errors.every((e: { field: string }) => e.field === 'password'), answer.text).toBe(true);
    if (more.rules) expect(answer.body.errors.map((e: { rule: string }) => e.rule).sort()).toEqual([...more.rules].sort());
  }
}

/** Row counts of every table a request could write to (audit events excepted): proof that bad input stored nothing. */
export async function counts(server: TestServer): Promise<Record<string, number>> {
  const db = server.app.services.database.db;
  const tables = ['accounts', 'credentials', 'sessions', 'refresh_tokens', 'one_time_tokens'] as const;
  const result: Record<string, number> = {};
  for (const table of tables) {
    const row = await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}
