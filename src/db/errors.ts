/**
 * Whether a database error is a unique-constraint violation, on either dialect: PostgreSQL's SQLSTATE 23505, SQLite's
 * UNIQUE or PRIMARY KEY constraint codes. Why one function: the services turn it into `409 conflict`, and copies of
 * this test had drifted apart (one knew the primary-key code, two did not).
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint/.test(e?.message ?? '');
}
