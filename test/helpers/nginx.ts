import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** A real nginx in front of an upstream, asking Gatehouse through `auth_request` (docs/gateway.md). */
export interface NginxGateway {
  url: string;
  stop(): Promise<void>;
}

/** What every test nginx needs around its `http` body: in the foreground, one process, every path inside `dir`. */
function nginxFrame(dir: string, connections: number, httpBody: string): string {
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${connections}; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${httpBody}}
`;
}

/** The nginx configuration of docs/gateway.md, with every path inside `dir`. */
export function nginxConfig(dir: string, port: number, upstream: string, gatehouse: string): string {
  return nginxFrame(dir, 64, `
  server {
    listen 127.0.0.1:${port};

    location /api/ {
      auth_request /_auth;
      auth_request_set $user_id $upstream_http_x_user_id;
      auth_request_set $user_roles $upstream_http_x_user_roles;
      auth_request_set $auth_header $upstream_http_authorization;
      auth_request_set $error_code $upstream_http_x_error_code;
      error_page 401 = @unauthorized;
      proxy_set_header X-User-Id $user_id;
      proxy_set_header X-User-Roles $user_roles;
      proxy_set_header Authorization $auth_header;
      proxy_pass ${upstream};
    }

    location = /_auth {
      internal;
      proxy_pass ${gatehouse}/api/auth/context;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
    }

    location @unauthorized {
      add_header x-error-code $error_code always;
      default_type application/json;
      return 401 '{"status":401,"code":"$error_code"}';
    }
  }
`);
}

/** Starts `/usr/sbin/nginx` on a free port; it stops with `stop()`. */
export async function startNginx(upstream: string, gatehouse: string): Promise<NginxGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, upstream, gatehouse));
  const child: ChildProcess = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}${safeRead(join(dir, 'error.log'))}`);
    if (await answers(url)) break;
    if (Date.now() - started > 10_000) throw new Error(`nginx did not start: ${stderr}${safeRead(join(dir, 'error.log'))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An upstream service that answers the headers it received as JSON. */
export async function startEchoUpstream(): Promise<{ url: string; received: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const received: IncomingHttpHeaders[] = [];
  const server: Server = createHttpServer((request, response) => {
    received.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ path: request.url, headers: request.headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/_probe`);
    return true;
  } catch {
    return false;
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}


/** The configuration of a plain round-robin load balancer over `nodes` (base URLs), with every path inside `dir`. */
export function nginxBalancerConfig(dir: string, port: number, nodes: string[]): string {
  // No `non_idempotent` in proxy_next_upstream: a POST that reached a node is never sent to a second one (it may have
  // been applied), only requests that could not connect, or idempotent ones, move on.
  return nginxFrame(dir, 256, `
  upstream gatehouse {
${nodes.map((node) => `    server ${new URL(node).host} max_fails=1 fail_timeout=10s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://gatehouse;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout http_502;
      proxy_next_upstream_tries 0;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
`);
}

/** Starts `/usr/sbin/nginx` as a round-robin load balancer over `nodes` on a free port; it stops with `stop()`. */
export async function startNginxBalancer(nodes: string[]): Promise<NginxGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-lb-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxBalancerConfig(dir, port, nodes));
  const child: ChildProcess = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}${safeRead(join(dir, 'error.log'))}`);
      if (await answers(url)) break;
      if (Date.now() - started > 10_000) throw new Error(`nginx did not start: ${stderr}${safeRead(join(dir, 'error.log'))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The shipped deploy/nginx.conf, run as it is but for what a test machine cannot have: its three upstream nodes
 * become `gatehouse`, its TLS listener a plain loopback one. Every other directive (the X-Forwarded-* headers, the
 * retries, keep-alive) is the file's own, so a test of it tests what operators install.
 */
export function shippedNginxConfig(dir: string, port: number, gatehouse: string): string {
  const shipped = readFileSync(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8');
  const rewrites: Array<[RegExp, string]> = [
    [/^(\s*)server 10\.0\.0\.11:8080 .*$/m, `$1server ${new URL(gatehouse).host};`],
    [/^\s*server 10\.0\.0\.1[23]:8080 .*\n/gm, ''],
    [/^(\s*)listen 443 ssl.*$/m, `$1listen 127.0.0.1:${port};`],
    [/^\s*ssl_certificate(_key)? .*\n/gm, ''],
  ];
  let conf = shipped;
  for (const [pattern, replacement] of rewrites) {
    if (!pattern.test(conf)) throw new Error(`deploy/nginx.conf changed shape: no match for ${pattern}`);
    pattern.lastIndex = 0;
    conf = conf.replace(pattern, replacement);
  }
  return nginxFrame(dir, 64, conf);
}

/** Starts `/usr/sbin/nginx` with the shipped deploy/nginx.conf in front of one Gatehouse; it stops with `stop()`. */
export async function startShippedNginx(gatehouse: string): Promise<NginxGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-shipped-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, shippedNginxConfig(dir, port, gatehouse));
  const child: ChildProcess = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGQUIT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  try {
    while (!(await answers(url))) {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}${safeRead(join(dir, 'error.log'))}`);
      if (Date.now() - started > 10_000) throw new Error(`nginx did not start: ${stderr}${safeRead(join(dir, 'error.log'))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
