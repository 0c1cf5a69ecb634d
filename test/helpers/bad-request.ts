/**
 * One row of a table-driven bad-input suite: what the request sends and the problem+json it must get back. Each
 * suite extends it with the method, path and caller its endpoints take; `Ctx` is what the suite knows at run time.
 */
export interface BadRequest<Ctx> {
  name: string;
  json?: unknown | ((ctx: Ctx) => unknown);
  body?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** For `invalid-request`: every field the answer must name. */
  fields?: string[];
  /** For `password-policy`: exactly the rules the answer must list. */
  rules?: string[];
}
