import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createHash } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions, type onRequestHookHandler, type RouteOptions } from 'fastify';
import { emailAvailableRoutes } from './accounts/email-available.routes.js';
import { accountRoutes } from './accounts/account.routes.js';
import { clientRoutes } from './clients/client.routes.js';
import { inviteRoutes } from './invites/invite.routes.js';
import { casRoutes } from './providers/cas.routes.js';
import { providerContext } from './providers/complete-login.js';
import { oauthRoutes } from './providers/oauth.routes.js';
import { samlRoutes } from './providers/saml.routes.js';
import { emailChangeRoutes } from './email-change/email-change.routes.js';
import { groupRoutes } from './permissions/group.routes.js';
import { passwordResetPageRoutes } from './password-reset/password-reset-pages.routes.js';
import { passwordResetRoutes } from './password-reset/password-reset.routes.js';
import { apiAuthRoutes } from './auth/api-auth.routes.js';
import { mfaRoutes } from './mfa/mfa.routes.js';
import { mfaPageRoutes, securitySection } from './mfa/mfa-page.routes.js';
import { passkeyPageRoutes } from './mfa/passkey-page.routes.js';
import { mfaAdminRoutes, resetSecondFactors } from './mfa/mfa-admin.routes.js';
import { mfaVerifyRoutes } from './sign-in/mfa-verify.routes.js';
import { passkeyRoutes } from './mfa/passkeys.routes.js';
import { passkeyLoginRoutes } from './sign-in/passkey-login.routes.js';
import { passkeyScriptRoutes } from './pages/passkey-script.js';
import { secondStepPageRoutes } from './sign-in/second-step-page.routes.js';
import { enrolStepRoutes } from './sign-in/enrol-step.routes.js';
import { cryptoRandom, systemClock, type Clock, type RandomSource } from './clock.js';
import { fastifyTrustProxy, type Config } from './config/index.js';
import { discoveryRoutes } from './discovery/discovery.routes.js';
import { openDatabase, type Database } from './db/database.js';
import { WriteProbe } from './db/write-probe.js';
import { createMailer, type Mailer } from './email/mailer.js';
import { scheduleCleanup } from './jobs/cleanup.js';
import { sameOriginHookFor } from './http/csrf.js';
import { installBasicChallenge, type AuthContext } from './http/authenticate.js';
import { andThen, isPromise } from './util/awaitable.js';
import { gatewayRoutes } from './gateway/gateway.routes.js';
import { auditRoutes } from './audit/audit.routes.js';
import { metricsRoutes } from './metrics/metrics.routes.js';
import { healthRoutes } from './http/health.routes.js';
import { pageAssetRoutes } from './pages/assets.routes.js';
import { clientErrorResponse, isRequestTimeout, registerProblemHandlers } from './http/problem.js';
import { securityHeaders } from './http/security-headers.js';
import { MemoryStore, RateLimiter, RedisStore, type RateLimitStore } from './http/rate-limit.js';
import { validatorCompiler } from './http/validation.js';
import { accountPageRoutes } from './accounts/account-page.routes.js';
import { adminConsoleRoutes } from './admin-console/admin-console.routes.js';
import { SECOND_STEP_PATH as CONSOLE_SECOND_STEP_PATH } from './admin-console/sign-in.routes.js';
import { sessionRoutes } from './sessions/session.routes.js';
import { cookieLoginRoutes, cookieSecondStep, cookieSignIn } from './sign-in/cookie-login.routes.js';
import { loginCsrfDeps } from './sign-in/hosted-client.js';
import { loginPageRoutes } from './sign-in/login-page.routes.js';
import { confirmationPageRoutes } from './sign-in/confirmation-page.routes.js';
import { signupPageRoutes } from './sign-in/signup-page.routes.js';
import { createServices, type Services } from './services.js';
import { keyRoutes } from './tokens/keys.routes.js';
import { oidcProviderRoutes } from './oidc-provider/provider.routes.js';

/** Replaceable parts; tests inject a manual clock, a database of their own, a capturing mailer. */
export interface AppDeps {
  clock?: Clock;
  random?: RandomSource;
  mailer?: Mailer;
  database?: Database;
  logger?: FastifyServerOptions['logger'];
  /** Where the standard JSON request log goes instead of stdout (tests read it back). */
  logStream?: NodeJS.WritableStream;
  /** Shorter connection timeouts for tests; production uses SERVER_TIMEOUTS. */
  timeouts?: Partial<ServerTimeouts>;
}

/** How long a connection may take (milliseconds); why: a slow or stalled client must not hold a socket forever. */
export interface ServerTimeouts {
  /** The whole request, headers and body, must arrive within this (Node's `requestTimeout`; Fastify's default is none). */
  request: number;
  /** The request headers must arrive within this (Node's `headersTimeout`; at most `request`). */
  headers: number;
  /** How often Node looks for requests past `request` / `headers` (so a request is cut after at most their sum). */
  checkInterval: number;
}

/** The timeouts `gatehouse serve` runs with (docs/deploy.md "Timeouts"). */
// No socket idle timeout (Fastify's connectionTimeout): a connection that never sends is cut by `headers`, an idle
// keep-alive one by Fastify's 72 s keepAliveTimeout, and a socket timer refreshed on every read and write cost
// GET /auth/user about 5 % of its throughput (measured against the same build without it, in alternating turns).
export const SERVER_TIMEOUTS: ServerTimeouts = { request: 30_000, headers: 15_000, checkInterval: 5_000 };

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** Large enough for every JSON body we accept (a 2048-character password included), small enough to refuse floods. */
const BODY_LIMIT = 64 * 1024;

/** Builds the app without listening (fastify's `build(config)` pattern); `close()` releases everything it opened. */
export async function createApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const timeouts = { ...SERVER_TIMEOUTS, ...deps.timeouts };
  const app = Fastify({
    logger: deps.logger ?? {
      level: 'info',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: { req: requestSummary },
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    trustProxy: fastifyTrustProxy(config.server.trustProxy),
    bodyLimit: BODY_LIMIT,
    clientErrorHandler: (error, socket) => {
      // A timed-out client may still be trickling bytes: once the answer is out, the socket goes, not just our half.
      if (socket.writable) socket.end(clientErrorResponse(error), () => isRequestTimeout(error) && socket.destroy());
      else socket.destroy(error);
    },
    requestTimeout: timeouts.request,
    http: { headersTimeout: timeouts.headers, connectionsCheckingInterval: timeouts.checkInterval },
  });
  app.setValidatorCompiler(validatorCompiler);
  registerProblemHandlers(app);

  const database = deps.database ?? openDatabase(config.database.url);
  const mailer = deps.mailer ?? createMailer({ ...config.email, logger: app.log });
  const services = await createServices(config, {
    database,
    mailer,
    clock: deps.clock ?? systemClock,
    random: deps.random ?? cryptoRandom,
    logError: (error, message) => app.log.error({ err: error }, message),
  }).catch(async (error) => {
    await database.close();
    throw error;
  });
  app.decorate('services', services);
  app.decorate('branding', config.branding);
  const cleanup = scheduleCleanup({ db: database.db, config, clock: services.clock, metrics: services.metrics }, app.log);
  app.addHook('onClose', async () => {
    cleanup.stop();
    await services.bus.close();
    await mailer.close();
    if (!deps.database) await database.close();
  });

  await app.register(cookie);
  app.decorateRequest('auth', null);
  const rateLimiter = new RateLimiter(config.rateLimit, services.clock, rateLimitStore(config, services.serverKey));
  installBasicChallenge(app, config);
  app.addHook('onClose', () => rateLimiter.close());
  // Every answer, a 404 included, carries the security headers; everything else is attached per route below.
  const setSecurityHeaders = securityHeaders({ baseUrl: config.server.baseUrl });
  app.addHook('onRequest', (request, reply, done) => {
    setSecurityHeaders(request, reply);
    done();
  });
  // A callback hook: with a credential already checked, the whole step runs without a promise (util/awaitable.ts).
  const authenticate: onRequestHookHandler = (request, reply, done) => {
    const admitted = andThen(services.authenticator.authenticate(request, reply, rateLimiter), (auth) => admit(request, auth));
    if (isPromise(admitted)) admitted.then(() => done(), done);
    else done();
  };
  // Each route gets what it needs as it is declared, in this order: its rate limit before any other work, the
  // caller, then the CSRF check that depends on the caller. Routes without a limit or with a safe method pay nothing
  // for those; an unknown URL is answered 404 without reading its credential.
  app.addHook('onRoute', (route) => {
    addRouteHook(route, 'onRequest', rateLimiter.hookFor(route));
    // The OpenID provider's endpoints read credentials of their own (a client's secret in Basic, the provider's access
    // tokens): Gatehouse's authentication must not take a client's Basic header for an account's password.
    // Nor the CSRF check, which guards only cookie-authenticated callers: such a route never has one.
    if (!(route.config as { ownCredentials?: boolean } | undefined)?.ownCredentials) {
      addRouteHook(route, 'onRequest', authenticate);
      addRouteHook(route, 'onRequest', sameOriginHookFor(route, config.server.baseUrl));
    }
    addRouteHook(route, 'onResponse', services.metrics.requestDuration.hookFor(route));
  });

  await registerOpenApi(app, config);
  await app.register(healthRoutes, { probe: new WriteProbe(database.db, services.clock), lifecycle: services.lifecycle });
  await registerFeatures(app, config, services);
  return app;
}

/**
 * The feature routes, each handed exactly the services it uses (DESIGN "Dependencies point down"): only this
 * composition root knows the whole `Services`.
 */
async function registerFeatures(app: FastifyInstance, config: Config, services: Services): Promise<void> {
  await app.register(metricsRoutes, { metrics: services.metrics });
  await app.register(auditRoutes, { config, audit: services.audit, accounts: services.accounts });
  await app.register(keyRoutes, { keys: services.keys });
  const loginCsrf = loginCsrfDeps(services);
  await app.register(confirmationPageRoutes, { config, clients: services.clients, signIn: services.signIn, accounts: services.accounts, formTokens: loginCsrf });
  await app.register(passwordResetPageRoutes, { config, passwordResets: services.passwordResets, clients: services.clients, formTokens: loginCsrf });
  await app.register(passwordResetRoutes, { passwordResets: services.passwordResets });
  await app.register(sessionRoutes, {
    config, sessions: services.sessions, logins: services.logins, profiles: services.profiles, accounts: services.accounts,
    isRegisteredCallback: services.clients.isRegisteredCallback,
  });
  await app.register(cookieLoginRoutes, { config, signIn: services.signIn, loginCsrf, profiles: services.profiles, sessions: services.sessions });
  await app.register(accountRoutes, { config, accountAdmin: services.accountAdmin, accounts: services.accounts });
  const hostedForms = { config, clients: services.clients, signIn: services.signIn, loginCsrf };
  await app.register(loginPageRoutes, hostedForms);
  await app.register(discoveryRoutes, { config });
  await app.register(pageAssetRoutes);
  const mfaPages = { serverKey: services.serverKey, ...services.mfa, usernameOf: (id: string) => services.accounts.usernameOf(id) };
  await app.register(accountPageRoutes, {
    config, serverKey: services.serverKey, accounts: services.accounts, sessions: services.sessions, logins: services.logins,
    signIn: cookieSignIn(services.signIn, config), loginCsrf,
    secondStep: cookieSecondStep({ config, db: services.database.db, signIn: services.signIn, factors: services.mfa.factors, loginCsrf }),
    sections: [securitySection(mfaPages)],
  });
  await app.register(mfaPageRoutes, mfaPages);
  await app.register(passkeyPageRoutes, mfaPages);
  const mfaAdmin = { config, db: services.database.db, accounts: services.accounts, factors: services.mfa.factors, audit: services.audit, mailer: services.mailer };
  await app.register(mfaAdminRoutes, mfaAdmin);
  await app.register(clientRoutes, { config, clientAdmin: services.clientAdmin, accounts: services.accounts });
  await app.register(groupRoutes, { config, groups: services.groups, accounts: services.accounts });
  await app.register(inviteRoutes, { config, invites: services.invites, accounts: services.accounts });
  await app.register(emailAvailableRoutes, { availability: services.emailChanges });
  await app.register(signupPageRoutes, { ...hostedForms, accounts: services.accounts });
  await app.register(emailChangeRoutes, { emailChanges: services.emailChanges });
  const { clock, random, serverKey, signIn, audit, accounts, clients } = services;
  const providers = providerContext({ config, clock, random, db: services.database.db, serverKey, signIn, audit, accounts, clients, loginCsrf });
  await app.register(oauthRoutes, { context: providers });
  await app.register(samlRoutes, { context: providers });
  await app.register(casRoutes, { context: providers });
  await app.register(gatewayRoutes, { config, accounts: services.accounts, sessions: services.sessions, accessTokens: services.accessTokens });
  await app.register(apiAuthRoutes, { prefix: '/api/auth', accounts: services.accounts, logins: services.logins, refreshTokens: services.refreshTokens });
  const { totp, recoveryCodes, factors } = services.mfa;
  await app.register(mfaRoutes, { config, factors, totp, recoveryCodes, usernameOf: (id) => services.accounts.usernameOf(id) });
  await app.register(mfaVerifyRoutes, { config, db: services.database.db, signIn: services.signIn, factors, loginCsrf });
  await app.register(passkeyRoutes, { factors, passkeys: services.mfa.passkeys, usernameOf: (id) => services.accounts.usernameOf(id) });
  await app.register(passkeyLoginRoutes, { signIn: services.signIn, factors });
  await app.register(passkeyScriptRoutes);
  await app.register(secondStepPageRoutes, { ...hostedForms, db: services.database.db, factors });
  await app.register(adminConsoleRoutes, {
    config, serverKey: services.serverKey, accounts: services.accounts, accountAdmin: services.accountAdmin, groups: services.groups,
    factors: services.mfa.factors, audit: services.audit, logins: services.logins, loginCsrf,
    signingKeys: { db: services.database.db, keys: services.keys, bus: services.bus, now: () => clock.now() },
      invites: services.invites,
    // Its own second step: a sign-in that must set up a factor first continues to the console, not to /account.
    signIn: cookieSignIn(services.signIn, config, { secondStepPath: CONSOLE_SECOND_STEP_PATH }),
    secondStep: cookieSecondStep({ config, db: services.database.db, signIn: services.signIn, factors: services.mfa.factors, loginCsrf }),
    resetMfa: (actor, accountId, log) => resetSecondFactors(mfaAdmin, actor, accountId, log),
    clientAdmin: services.clientAdmin,
  });
  if (config.oidc.enabled) {
    await app.register(oidcProviderRoutes, {
      config, db: services.database.db, clock, keys: services.keys, serverKey, accounts, clients, sessions: services.sessions, logins: services.logins, loginCsrf,
      factors, audit,
    });
  }
  await app.register(enrolStepRoutes, {
    db: services.database.db, loginCsrf, pending: factors.pending, totp, passkeys: services.mfa.passkeys, usernameOf: (id) => services.accounts.usernameOf(id),
  });
}

/** `/openapi.json` (OpenAPI 3.1, generated from the route schemas) and the reference page at `/docs`. */
async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Gatehouse', version: '0.1.0', description: 'Account server: registration, login, tokens, sessions.' },
      servers: [{ url: config.server.baseUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', validatorUrl: null } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/** Sets the request's caller once it is known. */
function admit(request: FastifyRequest, auth: AuthContext | null): void {
  request.auth = auth;
  // `_token` and `ignoreAuth` concern authentication only: once read, no route validates, echoes or logs them.
  if (!request.raw.url?.includes('?')) return;
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query === 'object') {
    if ('_token' in query) delete query._token;
    if ('ignoreAuth' in query) delete query.ignoreAuth;
  }
}

/** Runs `hook` on this route only (after the app-wide hooks of the same kind); nothing when there is no hook. */
function addRouteHook<Kind extends 'onRequest' | 'onResponse'>(route: RouteOptions, kind: Kind, hook: RouteOptions[Kind] | undefined): void {
  if (!hook) return;
  const existing = route[kind];
  route[kind] = (existing === undefined ? [hook] : [...[existing].flat(), hook]) as RouteOptions[Kind];
}

/** Redis when configured (one budget for the cluster), else this process's memory. */
function rateLimitStore(config: Config, serverKey: string): RateLimitStore {
  // Nodes of one cluster share the server key; its hash names their counters, apart from other clusters' on the same Redis.
  return config.redis.url ? new RedisStore(config.redis.url, createHash('sha256').update(serverKey).digest('hex').slice(0, 12)) : new MemoryStore();
}

/** Request log lines without secrets: `_token` query values are cut out of the URL. */
function requestSummary(request: { method: string; url: string; ip?: string }) {
  return { method: request.method, url: request.url.replace(/([?&]_token=)[^&]*/g, '$1[redacted]'), remoteAddress: request.ip };
}
