import { createServer, type Server } from 'node:http';
import { insertClient, setClientSecretHash } from '../../src/clients/client.repository.js';
import { defaultOidcFields, hashClientSecret, type OidcClientFields } from '../../src/config/oidc-client-fields.js';
import type { TestServer } from './server.js';

/** Registers an OpenID client straight in the database, with `secret` stored hashed as `POST /clients` does. */
export async function addOidcClient(server: TestServer, clientID: string, fields: Partial<OidcClientFields> & { redirectUris: string[] }, secret?: string): Promise<void> {
  const db = server.app.services.database.db;
  const oidc = { ...defaultOidcFields(fields.redirectUris), ...fields };
  const callbackURL = fields.redirectUris[0] ?? 'http://127.0.0.1/unused';
  await insertClient(db, { clientID, callbackURL, config: { tokenMethod: ['query'], disableStrategies: [] }, name: `App ${clientID}`, oidc }, server.clock.now());
  if (secret) await setClientSecretHash(db, clientID, hashClientSecret(secret), server.clock.now());
}

/**
 * A relying party's web server on a loopback address of its own (a site apart from Gatehouse's): it answers every
 * request with a small page, and remembers the URLs it was sent to (the callback with the code, the logout return)
 * and the bodies posted to it (`response_mode=form_post`).
 */
export interface RelyingParty {
  origin: string;
  visits: URL[];
  posts: Array<{ url: URL; body: URLSearchParams }>;
  close(): Promise<void>;
}

export function startRelyingParty(host = '127.0.0.1'): Promise<RelyingParty> {
  const visits: URL[] = [];
  const posts: RelyingParty['posts'] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${host}`);
    visits.push(url);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST') posts.push({ url, body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<h1>relying party</h1>');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      const origin = `http://${host}:${(server.address() as { port: number }).port}`;
      resolve({
        origin, visits, posts,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}
