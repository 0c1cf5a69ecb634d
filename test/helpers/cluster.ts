import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginxBalancer, type NginxGateway } from './nginx.js';
import { fastHash, type Answer } from './server.js';
import { freePort } from './ports.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** One `gatehouse serve` child process on its own port. */
export interface ClusterNode {
  url: string;
  pid: number;
  /** The last lines it wrote, for failure messages. */
  output(): string;
  /** kill -9: no graceful shutdown, in-flight requests die with it. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Several Gatehouse processes on one database, behind a round-robin nginx. */
export interface Cluster {
  nodes: ClusterNode[];
  nginx: NginxGateway;
  url: string;
  stop(): Promise<void>;
}

/** Every child process of this worker, killed on exit even when a suite fails without its afterAll. */
const living = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of living) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts `node --import tsx src/cli.ts serve` with `env` on a free port and waits for `/healthz`. */
export async function startNode(env: Record<string, string>): Promise<ClusterNode> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: repo,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? tmpdir(),
      PORT: String(port),
      GATEHOUSE_SERVER__HOST: '127.0.0.1',
      GATEHOUSE_SERVER__BASE_URL: `http://127.0.0.1:${port}`,
      GATEHOUSE_PASSWORD__HASH__MEMORY_COST: String(fastHash.memoryCost),
      GATEHOUSE_PASSWORD__HASH__TIME_COST: String(fastHash.timeCost),
      GATEHOUSE_PASSWORD__HASH__PARALLELISM: String(fastHash.parallelism),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  living.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const dead = () => child.exitCode !== null || child.signalCode !== null;
  const url = `http://127.0.0.1:${port}`;
  const finish = async (signal: NodeJS.Signals) => {
    if (!dead()) {
      child.kill(signal);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (!dead()) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    living.delete(child);
  };
  const started = Date.now();
  for (;;) {
    if (dead()) throw new Error(`gatehouse on ${port} exited (${child.exitCode ?? child.signalCode}):\n${tail}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 30_000) {
      await finish('SIGKILL');
      throw new Error(`gatehouse on ${port} did not answer /healthz within 30 s:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, pid: child.pid!, output: () => tail, kill: () => finish('SIGKILL'), stop: () => finish('SIGTERM') };
}

/**
 * Starts `size` nodes on `databaseUrl` and nginx in front. The first node starts alone, so the schema migration
 * runs once; the others start together. Whatever started is stopped again when a later step fails.
 */
export async function startCluster(size: number, databaseUrl: string, env: Record<string, string> = {}): Promise<Cluster> {
  const outbox = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
  const nodes: ClusterNode[] = [];
  let nginx: NginxGateway | undefined;
  const stop = async () => {
    await nginx?.stop();
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(outbox, { recursive: true, force: true });
  };
  try {
    const nodeEnv = (i: number) => ({ DATABASE_URL: databaseUrl, GATEHOUSE_EMAIL__OUTBOX_DIR: join(outbox, `node-${i}`), ...env });
    nodes.push(await startNode(nodeEnv(0)));
    const rest = await Promise.allSettled(Array.from({ length: size - 1 }, (_, i) => startNode(nodeEnv(i + 1))));
    for (const result of rest) if (result.status === 'fulfilled') nodes.push(result.value);
    const failed = rest.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    nginx = await startNginxBalancer(nodes.map((node) => node.url));
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, nginx, url: nginx.url, stop };
}

/** One request with a JSON body and/or bearer token; never throws for an HTTP status, only when no answer came. */
export async function call(base: string, method: string, path: string, options: { json?: unknown; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(base + path, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

