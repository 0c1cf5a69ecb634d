import { createServer } from 'node:net';

/** A free loopback port, found by letting the kernel pick one and giving it back (on `host`, another loopback address). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
