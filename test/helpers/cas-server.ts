import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A real CAS server for the CAS suites: Debian's django-cas-server (CAS 1/2/3 and SAML 1.1) in a throw-away
 * Django project with a SQLite database. Debian's python, never the pyenv one on PATH.
 */
export interface CasServer {
  /** `http://<host>:<port>/cas/` — what Gatehouse takes as `cas.serverUrl`. */
  url: string;
  stop(): Promise<void>;
}

const PYTHON = '/usr/bin/python3';

/** The CAS users: `alice` (with an e-mail), `bob` (none), and `admin` (refused by Gatehouse, seed 004). */
export const casUsers = {
  alice: { password: 'alice-secret-1', email: 'alice@cas.example' },
  bob: { password: 'bob-secret-1', email: '' },
  admin: { password: 'admin-secret-1', email: 'admin@cas.example' },
} as const;

/**
 * Starts the CAS server on `host` — a loopback address of its own (127.0.0.5, …) makes it a site apart from
 * Gatehouse's 127.0.0.1, so browsers apply their cross-site cookie rules to the return with the ticket.
 */
export async function startCasServer(host = '127.0.0.1'): Promise<CasServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cas-'));
  mkdirSync(join(dir, 'casproject'));
  writeFileSync(join(dir, 'casproject', '__init__.py'), '');
  // Django answers 400 to a Host header not in ALLOWED_HOSTS, so the address it serves on is added.
  writeFileSync(join(dir, 'casproject', 'settings.py'), SETTINGS.replace('@DB@', JSON.stringify(join(dir, 'db.sqlite3'))).replace('@HOSTS@', JSON.stringify(['127.0.0.1', 'localhost', host])));
  writeFileSync(join(dir, 'casproject', 'urls.py'), URLS);
  writeFileSync(join(dir, 'manage.py'), MANAGE);
  const env: NodeJS.ProcessEnv = { ...process.env, DJANGO_SETTINGS_MODULE: 'casproject.settings', PYTHONDONTWRITEBYTECODE: '1' };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  execFileSync(PYTHON, ['manage.py', 'migrate', '--noinput', '-v', '0'], { cwd: dir, env, stdio: 'pipe' });
  writeFileSync(join(dir, 'seed.py'), SEED.replace('@USERS@', JSON.stringify(casUsers)));
  execFileSync(PYTHON, ['manage.py', 'shell', '-c', 'exec(open("seed.py").read())'], { cwd: dir, env, stdio: 'pipe' });

  const port = await freePort(host);
  const child: ChildProcess = spawn(PYTHON, ['manage.py', 'runserver', `${host}:${port}`, '--noreload', '--nothreading'], {
    cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const url = `http://${host}:${port}/cas/`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`django-cas-server exited: ${output}`);
    }
    try {
      const response = await fetch(`${url}login`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`django-cas-server did not answer: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return { url, stop };
}


/**
 * A browser towards the CAS server: keeps its cookies, fetches the login form, posts the credentials with the
 * form's hidden fields (`lt`, `service`, CSRF token) and returns where the CAS server sends the browser.
 */
export class CasBrowser {
  private readonly cookies = new Map<string, string>();

  /** Logs in at `loginUrl` (the URL Gatehouse redirected to); returns the Location of CAS's answer. */
  async login(loginUrl: string, username: string, password: string): Promise<string> {
    const form = await this.fetch(loginUrl);
    if (form.status !== 200) throw new Error(`CAS login page answered ${form.status}`);
    const html = await form.text();
    const fields: Record<string, string> = {};
    for (const input of html.matchAll(/<input\b[^>]*>/g)) {
      const tag = input[0];
      const name = /\bname="([^"]*)"/.exec(tag)?.[1];
      const type = /\btype="([^"]*)"/.exec(tag)?.[1];
      const value = /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '';
      if (name && type === 'hidden') fields[name] = decodeHtml(value);
    }
    fields.username = username;
    fields.password = password;
    const action = /<form[^>]*id="login_form"[^>]*action="([^"]*)"/.exec(html)?.[1];
    const target = action ? new URL(decodeHtml(action), loginUrl).toString() : loginUrl;
    const answer = await this.fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: loginUrl, origin: new URL(loginUrl).origin },
      body: new URLSearchParams(fields).toString(),
    });
    const location = answer.headers.get('location');
    if (answer.status !== 302 || !location) throw new Error(`CAS login did not redirect (${answer.status}): ${(await answer.text()).slice(0, 500)}`);
    return new URL(location, target).toString();
  }

  private async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return response;
  }
}

function decodeHtml(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

const SETTINGS = `
SECRET_KEY = 'gatehouse-test-only-not-secret'
DEBUG = False
ALLOWED_HOSTS = @HOSTS@
INSTALLED_APPS = [
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'cas_server',
]
MIDDLEWARE = [
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
]
ROOT_URLCONF = 'casproject.urls'
TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'DIRS': [],
    'APP_DIRS': True,
    'OPTIONS': {'context_processors': [
        'django.template.context_processors.request',
        'django.contrib.auth.context_processors.auth',
        'django.contrib.messages.context_processors.messages',
    ]},
}]
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': @DB@}}
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
USE_TZ = True
STATIC_URL = '/static/'
CAS_AUTH_CLASS = 'cas_server.auth.DjangoAuthUser'
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
CAS_SHOW_SERVICE_MESSAGES = False
CAS_INFO_MESSAGES = {}
CAS_INFO_MESSAGES_ORDER = []
CAS_TICKET_VALIDITY = 60
`;

const URLS = `
from django.urls import include, path
urlpatterns = [path('cas/', include('cas_server.urls', namespace='cas_server'))]
`;

const MANAGE = `
import os, sys
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'casproject.settings')
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
`;

/** Gatehouse on any loopback address (127.0.0.1, or 127.0.0.3 as an OpenID provider to its apps) may use the CAS server. */
const SEED = `
import json
from django.contrib.auth.models import User
from cas_server.models import ServicePattern, ReplaceAttributName
for name, user in json.loads('@USERS@').items():
    User.objects.create_user(name, user['email'], user['password'])
pattern = ServicePattern.objects.create(pos=100, name='gatehouse', pattern=r'^http://127\\.0\\.0\\.[0-9]+:[0-9]+/auth/cas$')
ReplaceAttributName.objects.create(name='email', replace='', service_pattern=pattern)
`;
