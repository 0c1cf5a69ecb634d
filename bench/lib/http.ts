/**
 * HTTP pieces the scenarios share: one request over a keep-alive agent, the headers they send, and the status check
 * of their set-up requests.
 */
import http from 'node:http';

/** One request as a hand-written load loop sends it (autocannon takes the same fields). */
export interface Probe {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What {@link send} answers: the status and the whole body. */
export interface Answer {
  status: number;
  body: string;
}

/**
 * Sends one request over `agent` to the server at `base` and resolves once the body is read.
 * Why node:http and not fetch: the load loops time each request and hold one keep-alive socket per connection.
 */
export function send(base: URL, agent: http.Agent, probe: Probe): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: base.hostname, port: base.port, path: probe.path, method: probe.method, headers: probe.headers, agent };
    const request = http.request(options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(probe.body);
  });
}

/** A JSON request with its length, as a client sends it; why: node:http would otherwise send the body chunked. */
export function jsonProbe(method: Probe['method'], path: string, body: unknown): Probe {
  const text = JSON.stringify(body);
  return { method, path, headers: { ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(text)) }, body: text };
}

/** The content type of a JSON body. */
export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** The content type of an HTML form post. */
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;

/** The header that presents an access token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The header that presents a cookie (`name=value`). */
export function cookie(pair: string): Record<string, string> {
  return { cookie: pair };
}

/**
 * Fails loudly unless a set-up request answered `status` (any 2xx when none is given).
 * Why: a scenario measured against a failed sign-in measures error pages.
 */
export async function expectStatus(response: Response, what: string, status?: number): Promise<void> {
  const fine = status === undefined ? response.ok : response.status === status;
  if (!fine) throw new Error(`${what}: expected ${status ?? '2xx'}, got ${response.status} ${await response.clone().text()}`);
}
