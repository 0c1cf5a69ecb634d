import { createServer, type Server } from 'node:http';

/** A client application a hosted page leads to: a real HTTP server on loopback that shows the token it received. */
export function startCallbackApp(): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<h1>callback</h1><p id="token">${new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? ''}</p>`);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/callback` }));
  });
}
