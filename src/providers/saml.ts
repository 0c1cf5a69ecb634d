import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import { AppError } from '../http/errors.js';
import type { FlowStart, FlowState, LoginProvider, VerifiedIdentity } from './provider.js';
import type { FlowOrigin } from './flow-origin.js';
import type { OneTimeIds } from './one-time-ids.js';
import type { PendingSamlRequest, SamlRequests } from './saml-requests.js';
import { checkSamlResponse, refuse } from './saml-checks.js';
import { samlXmlParser, type XmlNode } from './saml-xml.js';

const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** What the SP needs from the IdP metadata. */
export interface IdpMetadata {
  entityId: string;
  /** SingleSignOnService location per binding URI. */
  ssoUrls: Record<string, string>;
  /** Every signing certificate (PEM); a signature by any of them is accepted (key rollover). */
  signingCerts: string[];
}

/** Parses IdP metadata XML (an EntityDescriptor, or the first IdP inside an EntitiesDescriptor). */
export function parseIdpMetadata(xml: string): IdpMetadata {
  let doc: XmlNode;
  try {
    doc = samlXmlParser.parse(xml) as XmlNode;
  } catch (error) {
    throw new Error(`IdP metadata is not XML: ${(error as Error).message}`);
  }
  const entities: XmlNode[] = [...(doc.EntityDescriptor ?? []), ...(doc.EntitiesDescriptor?.EntityDescriptor ?? [])];
  const entity = entities.find((e) => Array.isArray(e.IDPSSODescriptor) && e.IDPSSODescriptor.length > 0);
  if (!entity) throw new Error('IdP metadata has no EntityDescriptor with an IDPSSODescriptor');
  const entityId = String(entity['@_entityID'] ?? '');
  if (!entityId) throw new Error('IdP metadata has no entityID');
  const ssoUrls: Record<string, string> = {};
  const signingCerts: string[] = [];
  for (const descriptor of entity.IDPSSODescriptor as XmlNode[]) {
    for (const sso of (descriptor.SingleSignOnService ?? []) as XmlNode[]) {
      const binding = sso['@_Binding'];
      const location = sso['@_Location'];
      if (typeof binding === 'string' && typeof location === 'string' && !(binding in ssoUrls)) ssoUrls[binding] = location;
    }
    for (const key of (descriptor.KeyDescriptor ?? []) as XmlNode[]) {
      const use = key['@_use'];
      if (use !== undefined && use !== 'signing') continue;
      for (const cert of (key.KeyInfo?.X509Data?.X509Certificate ?? []) as unknown[]) {
        const text = typeof cert === 'string' ? cert : typeof cert === 'object' && cert ? String((cert as XmlNode)['#text'] ?? '') : '';
        const body = text.replace(/\s+/g, '');
        if (body) signingCerts.push(toPem(body));
      }
    }
  }
  if (signingCerts.length === 0) throw new Error('IdP metadata has no signing certificate');
  return { entityId, ssoUrls, signingCerts: [...new Set(signingCerts)] };
}

function toPem(base64: string): string {
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Loads the IdP metadata from `file://` or `http(s)://` and keeps it for `maxAgeMs` (by the injected clock); the
 * first request after that reloads it (seed 004: "reloaded on demand"). A failed reload keeps nothing stale.
 */
export class IdpMetadataLoader {
  private cached: { metadata: IdpMetadata; loadedAt: number } | null = null;
  private loading: Promise<IdpMetadata> | null = null;

  constructor(
    private readonly url: string,
    private readonly maxAgeMs: number,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<IdpMetadata> {
    const now = this.clock.now();
    if (this.cached && now < this.cached.loadedAt + this.maxAgeMs) return this.cached.metadata;
    this.loading ??= this.load(now).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(now: number): Promise<IdpMetadata> {
    let xml: string;
    try {
      xml = await fetchText(this.url);
    } catch (error) {
      this.cached = null;
      throw new AppError('unavailable', `cannot load the SAML IdP metadata: ${(error as Error).message}`);
    }
    const metadata = parseIdpMetadata(xml);
    this.cached = { metadata, loadedAt: now };
    return metadata;
  }
}

async function fetchText(url: string): Promise<string> {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') return readFile(fileURLToPath(parsed), 'utf8');
  const response = await fetch(parsed, { redirect: 'follow', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${parsed.origin}`);
  return response.text();
}

/** SAML 2.0 Web Browser SSO, service-provider side (CONTRACT §5). */
export class SamlProvider implements LoginProvider {
  readonly id = 'saml';
  readonly method = 'saml' as const;
  readonly strategy = 'saml';
  readonly metadata: IdpMetadataLoader;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    /** Accepted assertion ids, shared by every node: an assertion is accepted once only. */
    private readonly used: OneTimeIds,
    /** AuthnRequests waiting for their Response, shared by every node: each is answered once only. */
    private readonly requests: SamlRequests,
  ) {
    const { idpMetadataUrl, idpMetadataMaxAge } = config.saml;
    if (!idpMetadataUrl) throw new Error('saml.idpMetadataUrl is required when saml.enabled is true');
    if (!config.saml.relyingPartyId) throw new Error('saml.relyingPartyId is required when saml.enabled is true');
    this.metadata = new IdpMetadataLoader(idpMetadataUrl, idpMetadataMaxAge, clock);
  }

  private get entityId(): string {
    return this.config.saml.relyingPartyId!;
  }

  private get acsUrl(): string {
    return this.config.saml.assertionConsumerServiceUrl;
  }

  private saml(options: Partial<SamlConfig> & { idpCert: string | string[] }): SAML {
    return new SAML({
      callbackUrl: this.acsUrl,
      issuer: this.entityId,
      audience: this.entityId,
      identifierFormat: NAMEID_EMAIL,
      disableRequestedAuthnContext: true,
      wantAssertionsSigned: false,
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.never,
      // Time conditions are checked below with the injected clock, not node-saml's Date.
      acceptedClockSkewMs: -1,
      ...options,
    });
  }

  /** The SP metadata document (entityID = relyingPartyId, ACS = assertionConsumerServiceUrl). */
  spMetadata(): string {
    // No certificate of our own: AuthnRequests are not signed and assertions are not encrypted.
    return this.saml({ idpCert: 'unused', wantAssertionsSigned: true }).generateServiceProviderMetadata(null, null);
  }

  /**
   * Starts a login: a fresh AuthnRequest, remembered on the server under a new unguessable RelayState, because the
   * Response returns by a cross-site POST that carries none of our cookies (CONTRACT §5), with whom it is for
   * (`origin`: client, OpenID interaction); `bindingHash` names the browser that may finish it (saml-binding.ts).
   */
  async begin(origin: FlowOrigin, bindingHash: string): Promise<FlowStart['redirect']> {
    const relayState = this.random.bytes(32).toString('base64url');
    const { redirect, state } = await this.start({ relayState });
    await this.requests.remember(relayState, { requestId: state.requestId!, origin, target: null, bindingHash });
    return redirect;
  }

  /** The pending request a Response's RelayState names, taken once; null when unknown, already taken or expired. */
  async pendingFor(relayState: string | undefined): Promise<PendingSamlRequest | null> {
    return relayState ? this.requests.consume(relayState) : null;
  }

  /** Builds an AuthnRequest for the configured binding; `relayState` travels through the IdP and back. */
  async start(input: { callbackUrl?: string; relayState?: string } = {}): Promise<FlowStart> {
    const relayState = input.relayState ?? '';
    const metadata = await this.metadata.get();
    const post = this.config.saml.redirectMethod === 'post';
    const binding = post ? BINDING_POST : BINDING_REDIRECT;
    const entryPoint = metadata.ssoUrls[binding];
    if (!entryPoint) throw new AppError('unavailable', `the SAML IdP metadata has no SingleSignOnService for ${binding}`);
    const requestId = `_${this.random.bytes(20).toString('hex')}`;
    const saml = this.saml({ idpCert: metadata.signingCerts, entryPoint, generateUniqueId: () => requestId, authnRequestBinding: post ? 'HTTP-POST' : 'HTTP-Redirect', skipRequestCompression: post });
    const state: FlowState = { requestId };
    if (post) {
      // HTTP-POST binding: base64 of the plain XML, not deflated (SAML bindings §3.5.4).
      const message = await saml.getAuthorizeMessageAsync(relayState, undefined, {});
      const fields: Record<string, string> = {};
      for (const [key, value] of Object.entries(message)) if (typeof value === 'string' && value !== '') fields[key] = value;
      return { redirect: { form: { action: entryPoint, fields } }, state };
    }
    return { redirect: { url: await saml.getAuthorizeUrlAsync(relayState, undefined, {}) }, state };
  }

  /**
   * Checks a Response (saml-checks.ts, one rule a step) and returns the identity it asserts; why the two checks
   * here come first: without a Response, or for an unsolicited one that is not allowed, the IdP need not be asked.
   */
  async finish({ request, state }: { request: FastifyRequest; callbackUrl: string; state: FlowState }): Promise<VerifiedIdentity> {
    const encoded = (request.body as Record<string, unknown> | undefined)?.SAMLResponse;
    if (typeof encoded !== 'string' || encoded === '') throw new AppError('invalid-request', 'SAMLResponse is missing');
    const requestId = state.requestId ?? null;
    if (requestId === null && !this.config.saml.allowIdpInitiated) throw refuse('no pending AuthnRequest for this RelayState (unknown, already answered or expired)');
    const metadata = await this.metadata.get();
    const email = await checkSamlResponse({
      encoded, requestId, now: this.clock.now(), acsUrl: this.acsUrl, spEntityId: this.entityId, idpEntityId: metadata.entityId,
      verifySignature: async (response) => (await this.saml({ idpCert: metadata.signingCerts }).validatePostResponseAsync({ SAMLResponse: response })).profile,
      claimAssertion: (key, until) => this.used.claim(key, until),
    });
    return { provider: 'saml', subject: email, email, emailVerified: true };
  }
}
