import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../http/schemas.js';
import { tokenFromLink } from '../http/token-link.js';
import type { PasswordResetService } from './password-reset.service.js';
import { ForgotPasswordBody, ResetPasswordBody } from './password-reset.schemas.js';

const tags = ['api/auth'];

/** `POST /api/auth/forgot-password` and `/reset-password` (seed 002); why a plugin: the reset's JSON half, beside its pages. */
export const passwordResetRoutes: FastifyPluginAsync<{ passwordResets: PasswordResetService }> = async (fastify, { passwordResets }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/api/auth/forgot-password', {
    schema: { tags, summary: 'Mail a password-reset link (always 202)', body: ForgotPasswordBody, response: { 202: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    // Not awaited: the answer and its timing must not depend on whether the account exists.
    passwordResets.request(request.body.email).catch((error) => request.log.error({ err: error }, 'password reset mail failed'));
    return reply.code(202).send(null);
  });

  app.post('/api/auth/reset-password', {
    schema: { tags, summary: 'Set a new password with the e-mailed token', body: ResetPasswordBody, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    await passwordResets.reset(tokenFromLink(request.body.token), request.body.password);
    return reply.code(204).send(null);
  });
};
