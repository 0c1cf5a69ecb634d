import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
export function idpMetadataXml(certs: TestKey[], entityId = IDP_ENTITY_ID): string {
  const keys = certs.map((k) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${k.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join('');
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${keys}
    <md:NameIDFormat>${NAMEID_EMAIL}</md:NameIDFormat>
    <md:SingleSignOnService Binding="${REDIRECT}" Location="${IDP_SSO_URL}/redirect"/>
    <md:SingleSignOnService Binding="${POST}" Location="${IDP_SSO_URL}/post"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

/** A samlify identity provider signing with `key`. */
export function samlIdp(key: TestKey, entityId = IDP_ENTITY_ID) {
  return samlify.IdentityProvider({
    entityID: entityId,
    privateKey: key.privateKey,
    signingCert: key.certPem,
    nameIDFormat: [NAMEID_EMAIL],
    wantAuthnRequestsSigned: false,
    singleSignOnService: [
      { Binding: REDIRECT, Location: `${IDP_SSO_URL}/redirect` },
      { Binding: POST, Location: `${IDP_SSO_URL}/post` },
    ],
    singleLogoutService: [{ Binding: REDIRECT, Location: `${IDP_SSO_URL}/logout` }],
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
  if (at !== undefined) vi.useFakeTimers({ toFake: ['Date'], now: at });
  try {
    const result = await idp.createLoginResponse(sp, { extract: { request: { id: requestId } } } as never, 'post', { email });
    return (result as { context: string }).context;
  } finally {
    if (at !== undefined) vi.useRealTimers();
  }
}

/** Removes every XML signature from a base64 SAMLResponse. */
export function stripSignatures(samlResponse: string): string {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  return Buffer.from(xml.replace(/<ds:Signature\b[\s\S]*?<\/ds:Signature>/g, '')).toString('base64');
}
