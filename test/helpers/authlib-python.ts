import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { systemPython } from './jwt-python.js';

/** The authlib client script (see its docstring): one command per run, JSON in and out. */
const SCRIPT = fileURLToPath(new URL('./authlib-client.py', import.meta.url));

/** A token endpoint's answer as authlib saw it: the token, or the OAuth error it raised. */
export interface AuthlibTokenAnswer {
  token?: Record<string, any>;
  error?: string;
  description?: string;
  /** authlib's JOSE check of the access token against the provider's JWKS: the header and claims it accepted. */
  verified?: { header: Record<string, unknown>; claims: Record<string, any> };
  authlib: string;
}

/**
 * Runs one command of the authlib script with Debian's python (python3-authlib lives there, not in the pyenv on PATH);
 * `issuer` is where it discovers everything else. Rejects with python's stderr when the script fails.
 */
export function runAuthlib<T = Record<string, any>>(issuer: string, command: string, input: Record<string, unknown>): Promise<T & { authlib: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(systemPython, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as T & { authlib: string }) : reject(new Error(`authlib-client.py ${command} exited ${code}: ${stderr}`))));
    child.stdin.end(JSON.stringify({ ...input, command, issuer }));
  });
}
