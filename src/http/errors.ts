/**
 * One home for every error the API can answer with: a code fixes its HTTP status and title,
 * so no throw site picks a status of its own (CONTRACT §4).
 */
export const errorCodes = {
  'invalid-request': { status: 400, title: 'Invalid request' },
  'password-policy': { status: 400, title: 'Password does not meet the policy' },
  'invalid-credentials': { status: 401, title: 'Invalid credentials' },
  'access-token-expired': { status: 401, title: 'Access token expired' },
  'refresh-token-expired': { status: 401, title: 'Refresh token expired' },
  'refresh-token-reused': { status: 401, title: 'Refresh token reused' },
  'invalid-token': { status: 401, title: 'Invalid token' },
  'token-revoked': { status: 401, title: 'Token revoked' },
  unauthorized: { status: 401, title: 'Authentication required' },
  'mfa-required': { status: 401, title: 'Second factor required' },
  'invalid-mfa-code': { status: 401, title: 'Invalid second-factor code' },
  'account-not-confirmed': { status: 403, title: 'Account not confirmed' },
  forbidden: { status: 403, title: 'Forbidden' },
  'login-method-disabled': { status: 403, title: 'Login method disabled' },
  'signup-disabled': { status: 403, title: 'Registration disabled' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'account-locked': { status: 429, title: 'Account temporarily locked' },
  'headers-too-large': { status: 431, title: 'Request header fields too large' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'internal-error': { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
  overloaded: { status: 503, title: 'Server busy' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** A field-level problem inside `invalid-request` and `password-policy` answers. */
export interface FieldError {
  field: string;
  message: string;
  rule?: string;
}

/** The only error type services throw for an expected failure; the HTTP layer turns it into problem+json. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly extra: {
      errors?: FieldError[];
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
      /** Extension members of the problem (RFC 9457 §3.2), e.g. the `mfaToken` of `mfa-required`. */
      members?: Record<string, unknown>;
    } = {},
  ) {
    super(detail ?? errorCodes[code].title);
    this.status = errorCodes[code].status;
  }
}

/** Shorthand for the common `invalid-request` naming one field. */
export function invalidField(field: string, message: string): AppError {
  return new AppError('invalid-request', `${field}: ${message}`, { errors: [{ field, message }] });
}
