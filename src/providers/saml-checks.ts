import type { Profile } from '@node-saml/node-saml';
import { AppError } from '../http/errors.js';
import { samlXmlParser, type XmlNode } from './saml-xml.js';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** Tolerated difference between our clock and the IdP's for NotBefore / NotOnOrAfter. */
const CLOCK_SKEW_MS = 30_000;
/** An assertion without any NotOnOrAfter is remembered this long. */
const DEFAULT_ASSERTION_TTL_MS = 60 * 60_000;
const NO_MATCH = 'InResponseTo does not match the pending AuthnRequest of this RelayState';
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/**
 * What the checks of one SAML Response share: the inputs, then what each check learns for the next. Why a context:
 * each check stays one rule of a few lines, run in order (the style of node-oidc-provider's flows).
 */
export interface SamlResponseContext {
  /** The `SAMLResponse` form field, base64. */
  encoded: string;
  /** The ID of the AuthnRequest this RelayState names; null for an unsolicited Response. */
  requestId: string | null;
  now: number;
  acsUrl: string;
  /** Our entityID (`saml.relyingPartyId`), the audience every assertion must name. */
  spEntityId: string;
  idpEntityId: string;
  /** node-saml's signature check; throws when the Response or assertion is not validly signed. */
  verifySignature: (encoded: string) => Promise<Profile | null>;
  /** Remembers an assertion id until `until`; false when it was seen before (shared by every node). */
  claimAssertion: (key: string, until: number) => Promise<boolean>;
  profile?: Profile;
  assertion?: XmlNode;
  notOnOrAfter?: number | undefined;
  confirmationUntil?: number;
  nameId?: string;
}

/** One rule about a Response: passes, fills its part of the context, or throws `invalid-credentials`. */
export type SamlCheck = (ctx: SamlResponseContext) => void | Promise<void>;

/** The SAML refusal every check throws: one code for every way a Response can be wrong (CONTRACT §4). */
export function refuse(detail: string): AppError {
  return new AppError('invalid-credentials', `SAML response refused: ${detail}`);
}

function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw refuse(`bad timestamp ${value}`);
  return ms;
}

/** Response-level attributes are only used to refuse (they may be outside the signature). */
const responseEnvelope: SamlCheck = (ctx) => {
  const response = (samlXmlParser.parse(Buffer.from(ctx.encoded, 'base64').toString('utf8')) as XmlNode).Response as XmlNode | undefined;
  if (!response) throw refuse('not a SAML Response');
  if (response['@_Destination'] !== undefined && response['@_Destination'] !== ctx.acsUrl) throw refuse('Destination is not this ACS');
  if (response['@_InResponseTo'] !== undefined && response['@_InResponseTo'] !== ctx.requestId) throw refuse(NO_MATCH);
};

const validSignature: SamlCheck = async (ctx) => {
  try {
    ctx.profile = (await ctx.verifySignature(ctx.encoded)) ?? undefined;
  } catch (error) {
    throw refuse((error as Error).message);
  }
  if (!ctx.profile?.getAssertionXml) throw refuse('no assertion');
};

/** Everything from here on reads the assertion exactly as covered by a valid signature. */
const signedAssertion: SamlCheck = (ctx) => {
  const assertion = ((samlXmlParser.parse(ctx.profile!.getAssertionXml!()) as XmlNode).Assertion as XmlNode[] | undefined)?.[0];
  if (!assertion) throw refuse('no signed assertion');
  const assertionId = assertion['@_ID'];
  if (typeof assertionId !== 'string' || !assertionId) throw refuse('assertion without ID');
  const issuer = typeof assertion.Issuer === 'object' ? assertion.Issuer?.['#text'] : assertion.Issuer;
  if (issuer !== undefined && issuer !== ctx.idpEntityId) throw refuse('assertion Issuer is not the IdP of the metadata');
  ctx.assertion = assertion;
};

const conditionsHold: SamlCheck = (ctx) => {
  const conditions = (ctx.assertion!.Conditions as XmlNode[] | undefined)?.[0];
  if (!conditions) throw refuse('assertion without Conditions');
  const notBefore = timeOf(conditions['@_NotBefore']);
  ctx.notOnOrAfter = timeOf(conditions['@_NotOnOrAfter']);
  if (notBefore !== undefined && ctx.now + CLOCK_SKEW_MS < notBefore) throw refuse('assertion is not yet valid');
  if (ctx.notOnOrAfter !== undefined && ctx.now - CLOCK_SKEW_MS >= ctx.notOnOrAfter) throw refuse('assertion has expired');
  const audiences = ((conditions.AudienceRestriction ?? []) as XmlNode[]).map((r) => ((r.Audience ?? []) as unknown[]).map((a) => String(typeof a === 'object' && a ? (a as XmlNode)['#text'] : a)));
  if (audiences.length === 0 || !audiences.every((list) => list.includes(ctx.spEntityId))) throw refuse('audience is not this service provider');
};

/** Why this bearer confirmation fails, or null when it holds (the first failure found is reported). */
function confirmationProblem(ctx: SamlResponseContext, data: XmlNode): string | null {
  const until = timeOf(data['@_NotOnOrAfter']);
  const from = timeOf(data['@_NotBefore']);
  if (data['@_Recipient'] !== ctx.acsUrl) return 'Recipient is not this ACS';
  if ((data['@_InResponseTo'] ?? null) !== ctx.requestId) return NO_MATCH;
  if (until === undefined || ctx.now - CLOCK_SKEW_MS >= until) return 'subject confirmation has expired';
  if (from !== undefined && ctx.now + CLOCK_SKEW_MS < from) return 'subject confirmation is not yet valid';
  return null;
}

const bearerConfirmation: SamlCheck = (ctx) => {
  const confirmations = ((ctx.assertion!.Subject?.SubjectConfirmation ?? []) as XmlNode[]).filter((c) => c['@_Method'] === BEARER);
  const reasons: string[] = [];
  const confirmation = confirmations.find((c) => {
    const problem = confirmationProblem(ctx, (c.SubjectConfirmationData ?? {}) as XmlNode);
    if (problem) reasons.push(problem);
    return problem === null;
  });
  if (!confirmation) throw refuse(reasons[0] ?? 'no bearer subject confirmation');
  ctx.confirmationUntil = timeOf(confirmation.SubjectConfirmationData['@_NotOnOrAfter'])!;
};

const emailNameId: SamlCheck = (ctx) => {
  const nameId = ctx.profile!.nameID;
  if (typeof nameId !== 'string' || !EMAIL.test(nameId)) throw refuse('NameID is not an e-mail address');
  ctx.nameId = nameId;
};

/** An assertion is accepted once only, remembered (on every node) until it could no longer pass the checks above. */
const unusedAssertion: SamlCheck = async (ctx) => {
  const expiresAt = Math.max(ctx.confirmationUntil!, ctx.notOnOrAfter ?? 0, ctx.now + CLOCK_SKEW_MS) + CLOCK_SKEW_MS;
  if (!(await ctx.claimAssertion(`saml ${ctx.idpEntityId} ${ctx.assertion!['@_ID']}`, expiresAt || ctx.now + DEFAULT_ASSERTION_TTL_MS))) throw refuse('assertion was already used');
};

/** The checks of a Response, in the order their failures are reported (SAML 2.0 profiles §4.1.4.3). */
export const responseChecks: readonly SamlCheck[] = [
  responseEnvelope, validSignature, signedAssertion, conditionsHold, bearerConfirmation, emailNameId, unusedAssertion,
];

/** Runs every check in order; why a function: the provider's `finish` reads as its inputs, this, and the identity. */
export async function checkSamlResponse(ctx: SamlResponseContext): Promise<string> {
  for (const check of responseChecks) await check(ctx);
  return ctx.nameId!.trim();
}
