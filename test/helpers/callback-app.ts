import { createServer, type Server } from 'node:http';

/**
 * A client application a hosted page leads to: a real HTTP server on loopback that shows the token it received.
 * `host`: another loopback address puts it on a site of its own (127.0.0.6 in the provider tests).
 */
export function startCallbackApp(host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<h1>callback</h1><p id="token">${new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? ''}</p>`);
    });
    server.listen(0, host, () => resolve({ server, url: `http://${host}:${(server.address() as { port: number }).port}/callback` }));
  });
}
