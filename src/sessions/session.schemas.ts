import { Type } from 'typebox';
import { LoginName, PRINTABLE, PrintableText, problemResponses } from '../http/schemas.js';

/** `POST /auth/cookie` form (seed 004): `auth_maxage` in seconds, `-1` for a browser-session cookie. */
export const CookieLoginBody = Type.Object(
  {
    auth_username: LoginName,
    auth_password: Type.String({ minLength: 1 }),
    // Form fields arrive as text, JSON bodies as numbers: both are accepted.
    auth_maxage: Type.Optional(
      Type.Union([Type.Integer({ minimum: -1, maximum: 31_536_000 }), Type.String({ pattern: '^(-1|[0-9]{1,8})$' })], { description: 'seconds; -1 = session cookie' }),
    ),
  },
  { additionalProperties: false },
);

export const UserInfo = Type.Object({
  id: Type.String(),
  user: Type.String(),
  // Type arrays, not anyOf: this answer is serialized on every authenticated read, and fast-json-stringify picks an
  // anyOf branch by running a validator (a date-time regex) on each value.
  language: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'] })),
  authTokenExpires: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' })),
  clientAcceptLanguage: Type.Record(Type.String(), Type.Number()),
});

export const SessionInfo = Type.Object({
  loginTime: Type.String({ format: 'date-time' }),
  loginExpiration: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  inetAddress: Type.Union([Type.String(), Type.Null()]),
  lastAccess: Type.String({ format: 'date-time' }),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  userName: Type.String(),
});

export const SessionList = Type.Record(Type.String(), SessionInfo, { description: 'the caller’s live sessions by session id' });
export const EndSessionBody = Type.Object({ token: PrintableText(64) }, { additionalProperties: false });
export const LogoutQuery = Type.Object({ redirect: Type.Optional(Type.String({ maxLength: 2048, pattern: PRINTABLE })) });

/** The errors of the `/auth/*` session routes: as the API's, with `method-not-allowed` (seed 001) where a conflict cannot happen. */
export const sessionErrors = problemResponses('invalid-request', 'unauthorized', 'forbidden', 'not-found', 'method-not-allowed', 'rate-limited', 'overloaded');
