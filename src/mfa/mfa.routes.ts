import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/index.js';
import { requireAuth } from '../http/authenticate.js';
import { AppError } from '../http/errors.js';
import { errorResponses, problemResponses } from '../http/schemas.js';
import { ConfirmTotpBody, FactorSummary, RecoveryCodeList, StepUpBody, TotpSetup } from './mfa.schemas.js';
import { enrollingAccount } from './enrolling-account.js';
import type { RecoveryCodes } from './recovery-codes.service.js';
import type { SecondFactors } from './second-factors.js';
import type { TotpService } from './totp.service.js';

const tags = ['mfa'];
const codeErrors = { ...errorResponses, ...problemResponses('invalid-credentials', 'invalid-mfa-code') };

/** What the enrolment routes use. */
export interface MfaRouteDeps {
  config: Config;
  factors: SecondFactors;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  usernameOf: (accountId: string) => Promise<string | null>;
}

/**
 * Setting up and removing second factors (CONTRACT §5): TOTP with its QR code, recovery codes, the summary. Turning a
 * factor off and new recovery codes need step-up. The enrolment routes also take an enrolment-only `mfaToken`
 * (`mfa.requiredFor`) as a bearer token — and only they: everywhere else that token signs no one in.
 */
export const mfaRoutes: FastifyPluginAsync<MfaRouteDeps> = async (fastify, { config, factors, totp, recoveryCodes, usernameOf }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  const enrolling = (request: FastifyRequest) => enrollingAccount(request, factors.pending);
  const requireTotpEnabled = () => {
    if (!config.mfa.totp.enabled) throw new AppError('not-found', 'TOTP is disabled on this server (mfa.totp.enabled)');
  };

  app.get('/api/auth/mfa', {
    schema: { tags, summary: 'The caller’s second factors', response: { 200: FactorSummary, ...errorResponses } },
  }, async (request) => factors.summary(requireAuth(request).accountId));

  app.post('/api/auth/mfa/totp', {
    schema: { tags, summary: 'Start TOTP set-up: a new secret, its otpauth URL and QR code (not active until confirmed)', response: { 200: TotpSetup, ...errorResponses } },
  }, async (request) => {
    requireTotpEnabled();
    const accountId = await enrolling(request);
    const username = await usernameOf(accountId);
    if (username === null) throw new AppError('unauthorized', 'the account no longer exists');
    return totp.begin({ id: accountId, username });
  });

  app.post('/api/auth/mfa/totp/confirm', {
    schema: { tags, summary: 'Activate TOTP with its first code; answers the recovery codes, shown this once', body: ConfirmTotpBody, response: { 200: RecoveryCodeList, ...codeErrors } },
  }, async (request) => {
    requireTotpEnabled();
    return { recoveryCodes: await totp.confirm(await enrolling(request), request.body.code) };
  });

  app.delete('/api/auth/mfa/totp', {
    schema: { tags, summary: 'Turn TOTP off (step-up: password, code or passkey)', body: StepUpBody, response: { 204: Type.Null(), ...codeErrors } },
  }, async (request, reply) => {
    const { accountId } = requireAuth(request);
    await factors.assertStepUp(accountId, { ...request.body, inetAddress: request.ip });
    if (!(await factors.removeTotp(accountId))) throw new AppError('not-found', 'TOTP is not set up for this account');
    return reply.code(204).send(null);
  });

  app.post('/api/auth/mfa/recovery-codes', {
    schema: { tags, summary: 'Replace the recovery codes (step-up: password, code or passkey)', body: StepUpBody, response: { 200: RecoveryCodeList, ...codeErrors } },
  }, async (request) => {
    const { accountId } = requireAuth(request);
    await factors.assertStepUp(accountId, { ...request.body, inetAddress: request.ip });
    if (!(await factors.hasFactor(accountId))) throw new AppError('conflict', 'this account has no second factor: recovery codes come with TOTP or a passkey');
    return { recoveryCodes: await recoveryCodes.regenerate(accountId) };
  });
};
