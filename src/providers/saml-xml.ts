import { XMLParser } from 'fast-xml-parser';

/** A parsed XML element: attributes as `@_name`, text as `#text`, namespace prefixes removed. */
export type XmlNode = Record<string, any>;

/**
 * The one XML reader of the SAML code (metadata, Response envelope, signed assertion); why shared: every reader
 * must see the same shape — namespace prefixes gone, entities left unexpanded, lists always arrays.
 */
export const samlXmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: false,
  isArray: (name) => ['EntityDescriptor', 'IDPSSODescriptor', 'KeyDescriptor', 'SingleSignOnService', 'X509Certificate', 'SubjectConfirmation', 'AudienceRestriction', 'Audience', 'Assertion', 'Conditions'].includes(name),
});
