/// <reference lib="dom" />
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

/** What one ceremony in the page does: fetch options (or take them), run navigator.credentials, post the answer. */
export interface CeremonyArgs {
  kind: 'create' | 'get';
  optionsPath?: string;
  optionsBody?: unknown;
  options?: unknown;
  token?: string;
  post?: { path: string; body: Record<string, unknown> };
}

/**
 * Runs in the page (serialised by playwright): the glue every web page using passkeys has — base64url ↔ ArrayBuffer,
 * `navigator.credentials.create/get`, the answer as WebAuthn JSON — written by hand, no library.
 */
export async function ceremonyInPage(args: CeremonyArgs): Promise<{ status?: number; body?: any; credential: any }> {
  const toBuffer = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
  const toText = (buffer: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (args.token) headers.authorization = `Bearer ${args.token}`;
  let options = args.options as any;
  if (!options) options = await (await fetch(args.optionsPath!, { method: 'POST', headers, body: JSON.stringify(args.optionsBody ?? {}) })).json();
  const descriptors = (list: any[] | undefined) => (list ?? []).map((c) => ({ ...c, id: toBuffer(c.id) }));
  let credential: any;
  if (args.kind === 'create') {
    const made = (await navigator.credentials.create({ publicKey: { ...options, challenge: toBuffer(options.challenge), user: { ...options.user, id: toBuffer(options.user.id) }, excludeCredentials: descriptors(options.excludeCredentials) } })) as PublicKeyCredential;
    const response = made.response as AuthenticatorAttestationResponse;
    credential = { id: made.id, rawId: toText(made.rawId), type: made.type, clientExtensionResults: made.getClientExtensionResults(), response: { clientDataJSON: toText(response.clientDataJSON), attestationObject: toText(response.attestationObject), transports: response.getTransports() } };
    if (made.authenticatorAttachment) credential.authenticatorAttachment = made.authenticatorAttachment;
  } else {
    const got = (await navigator.credentials.get({ publicKey: { ...options, challenge: toBuffer(options.challenge), allowCredentials: descriptors(options.allowCredentials) } })) as PublicKeyCredential;
    const response = got.response as AuthenticatorAssertionResponse;
    credential = { id: got.id, rawId: toText(got.rawId), type: got.type, clientExtensionResults: got.getClientExtensionResults(), response: { clientDataJSON: toText(response.clientDataJSON), authenticatorData: toText(response.authenticatorData), signature: toText(response.signature), ...(response.userHandle ? { userHandle: toText(response.userHandle) } : {}) } };
    if (got.authenticatorAttachment) credential.authenticatorAttachment = got.authenticatorAttachment;
  }
  if (!args.post) return { credential };
  const posted = await fetch(args.post.path, { method: 'POST', headers, body: JSON.stringify({ ...args.post.body, credential }) });
  return { status: posted.status, body: await posted.json(), credential };
}

/** A page with a DevTools virtual authenticator of its own (ctap2, internal, resident keys, user verification). */
export async function pageWithAuthenticator(context: BrowserContext): Promise<{ page: Page; cdp: CDPSession; authenticatorId: string }> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return { page, cdp, authenticatorId };
}
