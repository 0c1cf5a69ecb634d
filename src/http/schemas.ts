import { Type } from 'typebox';
import { errorCodes, type ErrorCode } from './errors.js';

/*
 * Schema pieces every route folder shares, declared once (DESIGN "Avoid: the same request shape declared three
 * times"). A feature's own bodies live in its feature's `*.schemas.ts`.
 */

/** Printable text: control characters (NUL above all, which PostgreSQL refuses in text) are bad input, not a 500. */
export const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]*$';

/** Why: a free-text field of bounded length that must still be storable and loggable — printable, 1 to `maxLength` characters. */
export function PrintableText(maxLength: number, minLength = 1) {
  return Type.String({ minLength, maxLength, pattern: PRINTABLE });
}

/** An e-mail address as every body and query takes it (254: RFC 5321's path limit). */
export const Email = Type.String({ format: 'email', maxLength: 254, description: 'An e-mail address' });
/** No maxLength on purpose: the 2048 cap is a password rule reported as `password-policy` (CONTRACT §4). */
export const Password = Type.String({ description: 'Checked against password.policy.*; at most 2048 characters' });
/** A user name or e-mail typed to sign in; its existence is checked by the login, so only its shape is checked here. */
export const LoginName = PrintableText(254);
/** An e-mailed token, or the whole link it ends (CONTRACT §3): URL characters only. */
export const OpaqueToken = Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_.~:/?=&%+-]+$' });

/** Seed 003's token answer, shared by every way in that hands out tokens. */
export const OAuthToken = Type.Object(
  {
    accessToken: Type.String(),
    accessTokenExpiresAt: Type.String({ format: 'date-time' }),
    refreshToken: Type.String(),
    refreshTokenExpiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'absent when the token never expires (guests)' })),
    scope: Type.Optional(Type.String()),
    userId: Type.String(),
    clientId: Type.Optional(Type.String()),
  },
  { $id: 'OAuthToken', description: "Seed 003's OAuthToken" },
);

/** The body of every error answer (http/problem.ts writes it); one schema so /openapi.json names it once. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String(), rule: Type.Optional(Type.String()) }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

type StatusOf<C extends ErrorCode> = (typeof errorCodes)[C]['status'];

/**
 * The problem+json responses of a route, named by the error codes it answers with; why: the registry
 * (http/errors.ts) fixes each code's status, so a route's documented statuses cannot drift from its errors.
 */
export function problemResponses<const C extends ErrorCode>(...codes: C[]): { [S in StatusOf<C>]: typeof Problem } {
  return Object.fromEntries(codes.map((code) => [errorCodes[code].status, Problem])) as { [S in StatusOf<C>]: typeof Problem };
}

/**
 * The errors of a JSON API route: bad input, no or a bad credential, refused, not found, conflict, too many
 * requests, and `overloaded` for a login when the hashing queue is full (src/passwords/hasher.ts).
 */
export const errorResponses = problemResponses('invalid-request', 'unauthorized', 'forbidden', 'not-found', 'conflict', 'rate-limited', 'overloaded');
