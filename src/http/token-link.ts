import { Type } from 'typebox';
import { AppError } from './errors.js';

/** The `{token}` of an e-mailed link's path (`/auth/confirm/{token}`, …); why a bound: no token is longer, and the path is logged. */
export const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) });

/** E-mailed links end in the token; the API accepts the whole link too (CONTRACT §3). */
export function tokenFromLink(tokenOrLink: string): string {
  const path = tokenOrLink.split(/[?#]/)[0]!;
  const segment = path.slice(path.lastIndexOf('/') + 1);
  if (!segment) throw new AppError('invalid-request', 'token: is empty', { errors: [{ field: 'token', message: 'is empty' }] });
  return segment;
}
