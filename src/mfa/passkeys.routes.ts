import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { requireAuth } from '../http/authenticate.js';
import { AppError } from '../http/errors.js';
import { errorResponses, problemResponses } from '../http/schemas.js';
import { CeremonyOptions, Passkey, PasskeyCreated, PasskeyList, PasskeyParams, RegisterPasskeyBody, RenamePasskeyBody, StepUpBody } from './mfa.schemas.js';
import type { Passkeys } from './passkeys.service.js';
import { enrollingAccount } from './enrolling-account.js';
import type { SecondFactors } from './second-factors.js';

const tags = ['mfa'];

/** What the passkey routes use. */
export interface PasskeyRouteDeps {
  factors: SecondFactors;
  passkeys: Passkeys;
  usernameOf: (accountId: string) => Promise<string | null>;
}

/**
 * A person's passkeys (CONTRACT §5): creation options and registration (also with the enrolment-only `mfaToken` of
 * `mfa.requiredFor`, like TOTP's set-up), listing, renaming (`PATCH`), and removal, which needs step-up like turning
 * any factor off; and the request options that make a passkey a step-up proof. Another account's passkey id is `404`,
 * as if it did not exist.
 */
export const passkeyRoutes: FastifyPluginAsync<PasskeyRouteDeps> = async (fastify, { factors, passkeys, usernameOf }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  const enrolling = (request: FastifyRequest) => enrollingAccount(request, factors.pending);
  const requireEnabled = () => {
    if (!passkeys.enabled) throw new AppError('not-found', 'passkeys are disabled on this server (mfa.webauthn.enabled)');
  };

  app.post('/api/auth/passkeys/options', {
    schema: { tags, summary: 'Creation options for a new passkey (navigator.credentials.create)', response: { 200: CeremonyOptions, ...errorResponses, ...problemResponses('invalid-token') } },
  }, async (request) => {
    requireEnabled();
    const accountId = await enrolling(request);
    const username = await usernameOf(accountId);
    if (username === null) throw new AppError('unauthorized', 'the account no longer exists');
    return passkeys.creationOptions({ id: accountId, username });
  });

  app.post('/api/auth/passkeys', {
    schema: {
      tags, summary: 'Register a passkey: the answer of navigator.credentials.create; the first factor brings recovery codes',
      body: RegisterPasskeyBody, response: { 201: PasskeyCreated, ...errorResponses, ...problemResponses('invalid-token') },
    },
  }, async (request, reply) => {
    requireEnabled();
    const accountId = await enrolling(request);
    const { passkey, recoveryCodes } = await passkeys.register(accountId, request.body.credential as RegistrationResponseJSON, request.body.name?.trim());
    return reply.code(201).send({ id: passkey.id, name: passkey.name, createdAt: passkey.createdAt, ...(recoveryCodes ? { recoveryCodes } : {}) });
  });

  app.post('/api/auth/passkeys/step-up/options', {
    schema: {
      tags, summary: 'Request options of the caller’s own passkeys for step-up (answer with `credential` where `code` is taken)',
      response: { 200: CeremonyOptions, ...errorResponses },
    },
  }, async (request) => {
    requireEnabled();
    return passkeys.stepUpOptions(requireAuth(request).accountId);
  });

  app.get('/api/auth/passkeys', {
    schema: { tags, summary: 'The caller’s passkeys', response: { 200: PasskeyList, ...errorResponses } },
  }, async (request) => passkeys.list(requireAuth(request).accountId));

  app.patch('/api/auth/passkeys/:id', {
    schema: { tags, summary: 'Rename one of the caller’s passkeys', params: PasskeyParams, body: RenamePasskeyBody, response: { 200: Passkey, ...errorResponses } },
  }, async (request) => passkeys.rename(requireAuth(request).accountId, request.params.id, request.body.name.trim()));

  app.delete('/api/auth/passkeys/:id', {
    schema: {
      tags, summary: 'Remove one of the caller’s passkeys (step-up: password, code or passkey)', params: PasskeyParams, body: StepUpBody,
      response: { 204: Type.Null(), ...errorResponses, ...problemResponses('invalid-credentials', 'invalid-mfa-code') },
    },
  }, async (request, reply) => {
    const { accountId } = requireAuth(request);
    await factors.assertStepUp(accountId, { ...request.body, inetAddress: request.ip });
    await factors.removePasskey(accountId, request.params.id);
    return reply.code(204).send(null);
  });
};
