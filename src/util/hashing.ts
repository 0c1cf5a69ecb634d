import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** SHA-256 in base64url: how every random secret (refresh, cookie, reset, confirm, invite) is stored at rest. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** HMAC-SHA256 in base64url, truncated to `bytes`: derives values a server key makes unguessable. */
export function hmac(key: string | Buffer, message: string, bytes = 32): string {
  return createHmac('sha256', key).update(message).digest().subarray(0, bytes).toString('base64url');
}

/** Constant-time string comparison (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
