/**
 * A flood of HTTP Basic logins with made-up credentials, run as its own process so that its work does not share the
 * server's event loop (an attacker's never does). Usage: `node --import tsx test/helpers/basic-flood.ts <base url>
 * <connections>`. Each connection sends again as soon as it is answered, or after Retry-After when refused with 503.
 * Closing stdin stops it: it finishes what is in flight and prints the answers' statuses as one JSON line.
 */
import { Agent, request } from 'node:http';

const [base, connections] = [process.argv[2]!, Number(process.argv[3])];
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const statuses: Record<string, number> = {};
let badOverloaded = 0;
let flooding = true;

function once(n: number, i: number): Promise<{ status: number; retryAfter: number; body: string }> {
  const authorization = `Basic ${Buffer.from(`flood-${n}-${i}:Wrong-Pass-1`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request(`${base}/auth/user`, { headers: { authorization }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after']), body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function connection(n: number): Promise<void> {
  for (let i = 0; flooding; i++) {
    const answer = await once(n, i).catch(() => ({ status: 0, retryAfter: Number.NaN, body: '' }));
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 503) {
      if (!(answer.retryAfter >= 1) || !answer.body.includes('"code":"overloaded"')) badOverloaded++;
      // Retry-After, with jitter so the refused connections do not come back all at once.
      await new Promise((resolve) => setTimeout(resolve, (answer.retryAfter || 1) * 1000 * (0.5 + Math.random())));
    }
  }
}

const all = Promise.all(Array.from({ length: connections }, (_, n) => connection(n)));
process.stdin.on('end', () => (flooding = false));
process.stdin.resume();
await all;
agent.destroy();
process.stdout.write(`${JSON.stringify({ statuses, badOverloaded })}\n`);
