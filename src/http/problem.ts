import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorCodes, type ErrorCode, type FieldError } from './errors.js';
import { fieldErrors } from './validation.js';

/** RFC 9457 problem details as Gatehouse sends them (CONTRACT §4). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  /** Extension members (RFC 9457 §3.2), such as `mfa-required`'s `mfaToken` and `methods`. */
  [extension: string]: unknown;
}

/** Fastify's own errors mapped onto our codes, so the framework never answers in its own format. */
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-request',
};

/** Converts anything thrown into a problem; unexpected errors become a 500 that hides its internals. */
export function toProblem(error: unknown): { problem: Problem; headers: Record<string, string>; internal: boolean } {
  const appError = asAppError(error);
  if (!appError) {
    return { problem: problem('internal-error', 'an unexpected error occurred'), headers: {}, internal: true };
  }
  const body: Problem = { ...appError.extra.members, ...problem(appError.code, appError.message, appError.extra.errors) };
  const headers: Record<string, string> = { ...appError.extra.headers };
  if (appError.status === 401) headers['x-error-code'] = appError.code;
  if (appError.extra.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(appError.extra.retryAfterSeconds)));
  return { problem: body, headers, internal: false };
}

function problem(code: ErrorCode, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = errorCodes[code];
  const body: Problem = { type: `/docs/errors#${code}`, title, status, detail, code };
  if (errors?.length) body.errors = errors;
  return body;
}

function asAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (fastifyError?.validation) {
    const errors = fieldErrors(fastifyError.validation as never, fastifyError.validationContext ?? 'body');
    return new AppError('invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
  const mapped = fastifyError?.code ? frameworkCodes[fastifyError.code] : undefined;
  if (mapped) {
    const detail = mapped === 'invalid-request' ? 'body: is not valid JSON' : fastifyError.message;
    return new AppError(mapped, detail, mapped === 'invalid-request' ? { errors: [{ field: 'body', message: 'is not valid JSON' }] } : {});
  }
  const status = fastifyError?.statusCode;
  if (status && status >= 400 && status < 500) {
    const byStatus = (Object.keys(errorCodes) as ErrorCode[]).find((code) => errorCodes[code].status === status);
    return new AppError(byStatus ?? 'invalid-request', fastifyError.message);
  }
  return null;
}

/** Writes a problem+json answer. */
export function sendProblem(reply: FastifyReply, error: unknown): FastifyReply {
  const { problem: body, headers } = toProblem(error);
  return reply.code(body.status).headers(headers).type('application/problem+json').send(JSON.stringify(body));
}

/** Installs the one error handler and the not-found handler. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { internal } = toProblem(error);
    if (internal) request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, error);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new AppError('not-found', `no route ${request.method} ${request.url.split('?')[0]}`)));
}

/**
 * Answers requests Node's HTTP parser refuses before Fastify sees them (oversized headers, malformed request
 * lines) in problem+json too, instead of Node's bare 400/431.
 */
export function clientErrorResponse(error: NodeJS.ErrnoException): string {
  const code: ErrorCode = error.code === 'HPE_HEADER_OVERFLOW' ? 'headers-too-large' : isRequestTimeout(error) ? 'request-timeout' : 'invalid-request';
  const body = JSON.stringify(problem(code, clientErrorDetails[code] ?? 'malformed HTTP request'));
  const { status, title } = errorCodes[code];
  return `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`;
}

const clientErrorDetails: Partial<Record<ErrorCode, string>> = {
  'headers-too-large': 'request headers exceed the server limit',
  'request-timeout': 'the request did not arrive in time',
};

/** Node gave up waiting for a request's headers or body (`headersTimeout` / `requestTimeout`). */
export function isRequestTimeout(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
}
