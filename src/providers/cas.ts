import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { XMLParser } from 'fast-xml-parser';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { AppError } from '../http/errors.js';
import type { FlowStart, LoginProvider, VerifiedIdentity } from './provider.js';
import type { Clock } from '../clock.js';
import type { OneTimeIds } from './one-time-ids.js';

/**
 * CAS 1/2/3 and SAML 1.1 client (seeds 001/004, CONTRACT §5; DESIGN: our own small client over HTTP +
 * fast-xml-parser). The service URL is one fixed string, `<baseUrl>/auth/cas`, used on the redirect and on the
 * validation alike — CAS servers compare it verbatim.
 */

export type CasConfig = Config['cas'];
export type CasVersion = CasConfig['version'];

/** An answer from the CAS server, as little as validation needs. */
export interface CasHttpAnswer {
  status: number;
  body: string;
}

/** How the client talks to the CAS server; swappable in tests. */
export type CasTransport = (url: string, init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }) => Promise<CasHttpAnswer>;

/** CAS protocol 3.0 §3.1: a ticket is at most 256 characters; we also keep it to printable ASCII without spaces. */
const TICKET_SYNTAX = /^[\x21-\x7e]{1,256}$/;
/** Reserved in Gatehouse (seed 004: "CAS users with username admin cannot login"). */
const RESERVED_UIDS = new Set(['admin']);
const MAX_ANSWER_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** `<baseUrl>/auth/cas`, the one service URL of this server. */
export function casServiceUrl(config: Config): string {
  return `${config.server.baseUrl.replace(/\/+$/, '')}/auth/cas`;
}

/** Where the browser logs in: `cas.loginUrl` or `<serverUrl>login`, with `?service=`. */
export function casLoginUrl(cas: CasConfig, service: string): string {
  const url = new URL(cas.loginUrl ?? `${requireServerUrl(cas)}login`);
  url.searchParams.set('service', service);
  return url.toString();
}

function requireServerUrl(cas: CasConfig): string {
  if (!cas.serverUrl) throw new AppError('not-found', 'CAS is not configured');
  return cas.serverUrl;
}

/** How long a presented ticket is remembered: far longer than any CAS server lets a ticket live. */
const TICKET_MEMORY_MS = 24 * 60 * 60 * 1000;

/** The CAS login method: `start` builds the redirect, `finish` validates `?ticket=`. */
export class CasProvider implements LoginProvider {
  readonly id = 'cas';
  readonly method = 'cas' as const;
  readonly strategy = 'cas';
  private readonly transport: CasTransport;

  constructor(
    private readonly config: Config,
    /**
     * Tickets already presented, shared by every node: a replay is refused before the CAS server is even asked
     * (which consumes a ticket on its first validation anyway).
     */
    private readonly used: OneTimeIds,
    private readonly clock: Clock,
    options: { transport?: CasTransport } = {},
  ) {
    this.transport = options.transport ?? nodeTransport(config.https.disableVerification);
  }

  get serviceUrl(): string {
    return casServiceUrl(this.config);
  }

  async start(_input: { callbackUrl: string } = { callbackUrl: '' }): Promise<FlowStart> {
    return { redirect: { url: casLoginUrl(this.config.cas, this.serviceUrl) }, state: {} };
  }

  async finish(input: { request: FastifyRequest }): Promise<VerifiedIdentity> {
    const ticket = (input.request.query as Record<string, unknown> | undefined)?.ticket;
    return this.validate(typeof ticket === 'string' ? ticket : '');
  }

  /** Validates a service ticket once; yields the CAS identity or throws `invalid-credentials`. */
  async validate(ticket: string): Promise<VerifiedIdentity> {
    if (!TICKET_SYNTAX.test(ticket)) throw refused('the ticket is missing or malformed');
    if (!(await this.used.claim(`cas ${ticket}`, this.clock.now() + TICKET_MEMORY_MS))) throw refused('the ticket was already used');
    const serverUrl = requireServerUrl(this.config.cas);
    assertTransportAllowed(serverUrl, this.config.https.disableVerification);
    const service = this.serviceUrl;
    let result: { uid: string; email: string | null };
    try {
      result = await this.ask(serverUrl, this.config.cas.version, ticket, service);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('unavailable', `the CAS server could not be asked: ${(error as Error).message}`);
    }
    const uid = result.uid.trim();
    if (!uid) throw refused('the CAS server named no user');
    if (RESERVED_UIDS.has(uid.toLowerCase())) throw refused(`the CAS user "${uid}" is reserved and cannot log in through CAS`);
    return { provider: 'cas', subject: uid, email: result.email, emailVerified: false, username: uid };
  }

  private async ask(serverUrl: string, version: CasVersion, ticket: string, service: string): Promise<{ uid: string; email: string | null }> {
    const query = `service=${encodeURIComponent(service)}&ticket=${encodeURIComponent(ticket)}`;
    switch (version) {
      case 'cas1':
        return parseCas1(await this.get(`${serverUrl}validate?${query}`));
      case 'cas2':
        return { uid: parseServiceResponse(await this.get(`${serverUrl}serviceValidate?${query}`)).uid, email: null };
      case 'cas3':
        return parseServiceResponse(await this.get(`${serverUrl}p3/serviceValidate?${query}`));
      case 'saml11': {
        const answer = await this.transport(`${serverUrl}samlValidate?TARGET=${encodeURIComponent(service)}`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'http://www.oasis-open.org/committees/security', accept: 'text/xml' },
          body: samlRequest(ticket, new Date()),
        });
        if (answer.status !== 200) throw refused(`the CAS server answered ${answer.status}`);
        return parseSamlResponse(answer.body);
      }
    }
  }

  private async get(url: string): Promise<string> {
    const answer = await this.transport(url, { method: 'GET' });
    if (answer.status !== 200) throw refused(`the CAS server answered ${answer.status}`);
    return answer.body;
  }
}

function refused(detail: string): AppError {
  return new AppError('invalid-credentials', `CAS login failed: ${detail}`);
}

/** http:// only towards loopback, or when `https.disableVerification` allows test setups (CONTRACT §2). */
export function assertTransportAllowed(url: string, disableVerification: boolean): void {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' || disableVerification) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (parsed.protocol !== 'http:' || !loopback) throw new AppError('internal-error', `CAS server URL must be https:// (got ${parsed.protocol}//${parsed.host})`);
}

/* ------------------------------------------------------------------------------------------ parsers */

/** CAS 1.0 `validate`: `yes\n<uid>\n` or `no\n`. */
export function parseCas1(body: string): { uid: string; email: null } {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  if (lines[0] !== 'yes' || !lines[1]?.trim()) throw refused('the CAS server did not accept the ticket');
  return { uid: lines[1].trim(), email: null };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

type Node = Record<string, unknown>;

/** Children named `name` (namespace prefixes removed) of every node in `nodes`. */
function children(nodes: Node[] | undefined, name: string): Node[] {
  const out: Node[] = [];
  for (const node of nodes ?? []) {
    const value = node[name];
    if (Array.isArray(value)) out.push(...value.map((v) => (typeof v === 'object' && v !== null ? v as Node : { '#text': String(v) })));
  }
  return out;
}

function text(node: Node | undefined): string {
  if (!node) return '';
  const value = node['#text'];
  if (Array.isArray(value)) return value.map(String).join('');
  return value === undefined ? '' : String(value);
}

function parseXml(body: string): Node[] {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw refused('the CAS answer has a DTD');
  try {
    return [parser.parse(body) as Node];
  } catch {
    throw refused('the CAS answer is not XML');
  }
}

/** CAS 2.0/3.0 `serviceValidate`: `cas:serviceResponse/cas:authenticationSuccess/cas:user` (+ 3.0 `cas:attributes`). */
export function parseServiceResponse(body: string): { uid: string; email: string | null } {
  const response = children(parseXml(body), 'serviceResponse');
  const success = children(response, 'authenticationSuccess');
  if (response.length !== 1 || success.length !== 1) {
    const failure = children(response, 'authenticationFailure')[0];
    const code = failure ? String(failure['@code'] ?? '') : '';
    throw refused(code ? `the CAS server refused the ticket (${code})` : 'the CAS server did not accept the ticket');
  }
  const users = children(success, 'user');
  if (users.length !== 1) throw refused('the CAS answer has no single user');
  const attributes = children(success, 'attributes');
  const email = [...children(attributes, 'mail'), ...children(attributes, 'email')].map(text).find((v) => v.includes('@')) ?? null;
  return { uid: text(users[0]), email };
}

/** SAML 1.1 `samlValidate` answer: `Status/StatusCode@Value = samlp:Success`, then the subject's `NameIdentifier`. */
export function parseSamlResponse(body: string): { uid: string; email: string | null } {
  const envelope = children(parseXml(body), 'Envelope');
  const response = children(children(envelope, 'Body'), 'Response');
  if (response.length !== 1) throw refused('the SAML answer has no single Response');
  const codes = children(children(response, 'Status'), 'StatusCode');
  const value = String(codes[0]?.['@Value'] ?? '');
  if (codes.length !== 1 || !/^(samlp:)?Success$/.test(value)) throw refused(`the CAS server refused the ticket (${value.replace(/^samlp:/, '') || 'no status'})`);
  const assertions = children(response, 'Assertion');
  if (assertions.length !== 1) throw refused('the SAML answer has no single Assertion');
  const subjects = [
    ...children(children(assertions, 'AuthenticationStatement'), 'Subject'),
    ...children(children(assertions, 'AttributeStatement'), 'Subject'),
  ];
  const names = new Set(children(subjects, 'NameIdentifier').map(text).filter(Boolean));
  if (names.size !== 1) throw refused('the SAML answer does not name exactly one subject');
  const attributes = children(children(assertions, 'AttributeStatement'), 'Attribute');
  const email = attributes.filter((a) => ['mail', 'email'].includes(String(a['@AttributeName'] ?? '')))
    .flatMap((a) => children([a], 'AttributeValue').map(text)).find((v) => v.includes('@')) ?? null;
  return { uid: [...names][0]!, email };
}

/** CAS protocol 3.0 §2.8 / SAML 1.1: a SOAP envelope (with its Header) around a `samlp:Request` for the ticket. */
export function samlRequest(ticket: string, now: Date): string {
  return '<?xml version="1.0" encoding="UTF-8"?>'
    + '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
    + '<SOAP-ENV:Header/>'
    + '<SOAP-ENV:Body>'
    + `<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" MinorVersion="1" RequestID="_${randomUUID()}" IssueInstant="${now.toISOString()}">`
    + `<samlp:AssertionArtifact>${escapeXml(ticket)}</samlp:AssertionArtifact>`
    + '</samlp:Request>'
    + '</SOAP-ENV:Body>'
    + '</SOAP-ENV:Envelope>';
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/* ------------------------------------------------------------------------------------------ transport */

/** node:http(s) with a timeout and a size cap; TLS verification off only with `https.disableVerification`. */
export function nodeTransport(disableVerification: boolean): CasTransport {
  return (url, init) => new Promise((resolve, reject) => {
    const target = new URL(url);
    const module = target.protocol === 'https:' ? https : http;
    const request = module.request(target, {
      method: init.method,
      headers: { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
      timeout: TIMEOUT_MS,
      ...(target.protocol === 'https:' ? { rejectUnauthorized: !disableVerification } : {}),
    }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          request.destroy(new Error('the CAS answer is too large'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('the CAS server did not answer in time')));
    request.on('error', reject);
    request.end(init.body);
  });
}
