import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import * as validator from '@authenio/samlify-node-xmllint';
import * as samlify from 'samlify';
import { vi } from 'vitest';

samlify.setSchemaValidator(validator);

const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** An RSA key and a self-signed certificate (made with openssl in a temp dir). */
export interface TestKey {
  privateKey: string;
  certPem: string;
  /** The certificate body (base64 DER) as metadata carries it. */
  certBase64: string;
}

export function makeKey(cn = 'test-idp'): TestKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'saml-key-'));
  try {
    writeFileSync(join(dir, 'key.pem'), pem);
    execFileSync('openssl', ['req', '-x509', '-new', '-key', join(dir, 'key.pem'), '-subj', `/CN=${cn}`, '-days', '3', '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const certBase64 = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    return { privateKey: pem, certPem, certBase64 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const IDP_ENTITY_ID = 'https://idp.test/saml';
export const IDP_SSO_URL = 'https://idp.test/sso';

/** IdP metadata listing `certs` as signing certificates, and SSO endpoints for both bindings. */
export function idpMetadataXml(certs: TestKey[], entityId = IDP_ENTITY_ID, ssoUrl = IDP_SSO_URL): string {
  const keys = certs.map((k) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${k.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join('');
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${keys}
    <md:NameIDFormat>${NAMEID_EMAIL}</md:NameIDFormat>
    <md:SingleSignOnService Binding="${REDIRECT}" Location="${ssoUrl}/redirect"/>
    <md:SingleSignOnService Binding="${POST}" Location="${ssoUrl}/post"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

/** A samlify identity provider signing with `key`. */
export function samlIdp(key: TestKey, entityId = IDP_ENTITY_ID, ssoUrl = IDP_SSO_URL) {
  return samlify.IdentityProvider({
    entityID: entityId,
    privateKey: key.privateKey,
    signingCert: key.certPem,
    nameIDFormat: [NAMEID_EMAIL],
    wantAuthnRequestsSigned: false,
    singleSignOnService: [
      { Binding: REDIRECT, Location: `${ssoUrl}/redirect` },
      { Binding: POST, Location: `${ssoUrl}/post` },
    ],
    singleLogoutService: [{ Binding: REDIRECT, Location: `${ssoUrl}/logout` }],
  } as Parameters<typeof samlify.IdentityProvider>[0]);
}

/** The SP as samlify sees it, from Gatehouse's own metadata document (optionally with another entityID). */
export function samlSp(spMetadata: string, options: { entityId?: string; wantMessageSigned?: boolean } = {}) {
  let metadata = spMetadata;
  if (options.entityId) metadata = metadata.replace(/entityID="[^"]*"/, `entityID="${options.entityId}"`);
  return samlify.ServiceProvider({ metadata, wantMessageSigned: options.wantMessageSigned ?? false });
}

/** A metadata file the SP reads through file://, rewritable to rotate keys. */
export class MetadataFile {
  readonly dir = mkdtempSync(join(tmpdir(), 'saml-idp-'));
  readonly path = join(this.dir, 'idp-metadata.xml');
  readonly url = pathToFileURL(this.path).toString();
  write(xml: string): void {
    writeFileSync(this.path, xml);
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Decodes an AuthnRequest: Redirect binding is deflated, POST binding is plain base64. */
export function decodeAuthnRequest(value: string, deflated: boolean): string {
  const bytes = Buffer.from(value, 'base64');
  return (deflated ? inflateRawSync(bytes) : bytes).toString('utf8');
}

/** The AuthnRequest ID inside its XML. */
export function requestIdOf(xml: string): string {
  const match = /<(?:\w+:)?AuthnRequest\b[^>]*\sID="([^"]+)"/.exec(xml);
  if (!match) throw new Error(`no AuthnRequest ID in ${xml}`);
  return match[1]!;
}

/**
 * Signs a login response for `email` in response to `requestId`; returns the base64 SAMLResponse. `at` is the IdP's
 * time (samlify reads Date), so it can follow the server's manual clock.
 */
export async function loginResponse(idp: ReturnType<typeof samlIdp>, sp: ReturnType<typeof samlSp>, requestId: string, email: string, at?: number): Promise<string> {
  return atTime(at, async () => {
    const result = await idp.createLoginResponse(sp, { extract: { request: { id: requestId } } } as never, 'post', { email });
    return (result as { context: string }).context;
  });
}

/**
 * Signs an unsolicited (IdP-initiated) login response for `email`: no `InResponseTo` anywhere, as an IdP sends when
 * no AuthnRequest came first. samlify's template is used with those attributes left out.
 */
export async function unsolicitedResponse(idp: ReturnType<typeof samlIdp>, sp: ReturnType<typeof samlSp>, email: string, at?: number): Promise<string> {
  return atTime(at, async () => {
    const customTagReplacement = (template: string) => {
      const now = new Date();
      const later = new Date(now.getTime() + 5 * 60_000).toISOString();
      const acs = sp.entityMeta.getAssertionConsumerService('post') as string;
      const id = `_${randomBytes(20).toString('hex')}`;
      const values = {
        ID: id, AssertionID: `_${randomBytes(20).toString('hex')}`, Destination: acs, Audience: sp.entityMeta.getEntityID(), SubjectRecipient: acs,
        Issuer: idp.entityMeta.getEntityID(), IssueInstant: now.toISOString(), StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
        ConditionsNotBefore: now.toISOString(), ConditionsNotOnOrAfter: later, SubjectConfirmationDataNotOnOrAfter: later,
        NameIDFormat: NAMEID_EMAIL, NameID: email, AuthnStatement: '', AttributeStatement: '',
      };
      return { id, context: samlify.SamlLib.replaceTagsByValue(template.replace(/ InResponseTo="\{InResponseTo\}"/g, ''), values) };
    };
    const result = await idp.createLoginResponse(sp, null as never, 'post', { email }, { customTagReplacement } as never);
    return (result as { context: string }).context;
  });
}

/** Runs `make` with Date at `at` (samlify reads Date), so the IdP's time can follow the server's manual clock. */
async function atTime<T>(at: number | undefined, make: () => Promise<T>): Promise<T> {
  if (at !== undefined) vi.useFakeTimers({ toFake: ['Date'], now: at });
  try {
    return await make();
  } finally {
    if (at !== undefined) vi.useRealTimers();
  }
}

/** Removes every XML signature from a base64 SAMLResponse. */
export function stripSignatures(samlResponse: string): string {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  return Buffer.from(xml.replace(/<ds:Signature\b[\s\S]*?<\/ds:Signature>/g, '')).toString('base64');
}

/** What the IdP server last received: the AuthnRequest's binding, ID and RelayState. */
export interface ReceivedAuthnRequest {
  binding: 'redirect' | 'post';
  requestId: string;
  relayState: string | null;
}

/** A samlify IdP behind a real HTTP server on its own loopback address (another site than Gatehouse's). */
export interface SamlIdpServer {
  /** `http://<host>:<port>`. */
  origin: string;
  /** Where Gatehouse reads the IdP metadata (`saml.idpMetadataUrl`). */
  metadataUrl: string;
  /** The e-mail the IdP "logs in" (no login form: the IdP answers every AuthnRequest for this person). */
  user: string;
  received: ReceivedAuthnRequest[];
  /** Gives the IdP Gatehouse's SP metadata (known only once Gatehouse runs, which needs the IdP's URL first). */
  trust(spMetadata: string): void;
  close(): Promise<void>;
}

/**
 * Starts the IdP: `GET /metadata`; `GET /sso/redirect` and `POST /sso/post` take an AuthnRequest by either binding
 * and answer with a page that posts the signed Response and the RelayState to the SP's ACS (the HTTP-POST binding,
 * a cross-site POST in the browser); `GET /unsolicited` does the same without any AuthnRequest (IdP-initiated).
 * `now` is the IdP's time (the server's manual clock).
 */
export async function startSamlIdpServer(options: { key: TestKey; host?: string; now?: () => number }): Promise<SamlIdpServer> {
  const host = options.host ?? '127.0.0.3';
  let sp: ReturnType<typeof samlSp> | null = null;
  let idp: ReturnType<typeof samlIdp> | null = null;
  let metadata = '';
  const server = createServer((request, response) => {
    handle(request).then(
      (page) => response.writeHead(page.status, { 'content-type': page.type, 'cache-control': 'no-store' }).end(page.body),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(error.stack ?? error.message),
    );
  });
  const state: SamlIdpServer = {
    origin: '', metadataUrl: '', user: 'someone@example.com', received: [],
    trust: (spMetadata) => { sp = samlSp(spMetadata); },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };

  async function handle(request: IncomingMessage): Promise<{ status: number; type: string; body: string }> {
    const url = new URL(request.url ?? '/', state.origin);
    if (url.pathname === '/metadata') return { status: 200, type: 'application/samlmetadata+xml', body: metadata };
    if (!sp || !idp) throw new Error('the IdP has no SP metadata yet (call trust())');
    if (url.pathname === '/unsolicited') return postToAcs(await unsolicitedResponse(idp, sp, state.user, options.now?.()), null);
    let binding: 'redirect' | 'post';
    let fields: Record<string, string>;
    if (request.method === 'GET' && url.pathname === '/sso/redirect') {
      binding = 'redirect';
      fields = Object.fromEntries(url.searchParams);
    } else if (request.method === 'POST' && url.pathname === '/sso/post') {
      binding = 'post';
      fields = Object.fromEntries(new URLSearchParams(await bodyOf(request)));
    } else {
      return { status: 404, type: 'text/plain', body: 'not found' };
    }
    const parsed = await idp.parseLoginRequest(sp, binding, (binding === 'redirect' ? { query: fields } : { body: fields }) as never);
    const requestId = String(parsed.extract.request?.id ?? '');
    const relayState = fields.RelayState ?? null;
    state.received.push({ binding, requestId, relayState });
    return postToAcs(await loginResponse(idp, sp, requestId, state.user, options.now?.()), relayState);
  }

  function postToAcs(samlResponse: string, relayState: string | null) {
    const acs = sp!.entityMeta.getAssertionConsumerService('post') as string;
    const inputs = [['SAMLResponse', samlResponse], ...(relayState === null ? [] : [['RelayState', relayState]])]
      .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value!)}">`).join('');
    return { status: 200, type: 'text/html; charset=utf-8', body: `<!doctype html><html><body><p>Signed in at the IdP.</p><form method="post" action="${escapeHtml(acs)}">${inputs}</form><script>document.forms[0].submit()</script></body></html>` };
  }

  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  state.metadataUrl = `${state.origin}/metadata`;
  metadata = idpMetadataXml([options.key], IDP_ENTITY_ID, `${state.origin}/sso`);
  idp = samlIdp(options.key, IDP_ENTITY_ID, `${state.origin}/sso`);
  return state;
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
