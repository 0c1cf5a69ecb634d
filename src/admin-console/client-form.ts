import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Client } from '../clients/client.repository.js';
import { checkClient, type ClientInput } from '../clients/client.service.js';
import { defaultOidcFields } from '../config/oidc-client-fields.js';
import { STANDARD_SCOPES } from '../config/oidc-client-rules.js';
import { AppError, type FieldError } from '../http/errors.js';
import { fieldErrors } from '../http/validation.js';
import { addError, type FieldErrors } from '../pages/forms.js';
import type { Lang } from '../pages/i18n.js';
import { isPermitted } from '../permissions/wildcard.js';
import type { Principal } from '../permissions/principal.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { linesOf } from './permission-preview.js';

/*
 * The client form of the console: what a person types (text, one-per-line lists, check boxes) turned into the input
 * `POST /clients` and `PUT /clients/{clientID}` take, and ClientService's refusals turned back into errors next to
 * the field they name. The rules themselves are the service's (client.service.ts, config/oidc-client-rules.ts).
 */

const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
/** A group of check boxes: absent when none is ticked, a string for one, a list for several. */
const Ticks = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Array(Type.String({ maxLength: 64 }), { maxItems: 8 })]));
const Tick = Type.Optional(Type.Literal('on'));

/**
 * The form's fields. Lengths are generous (the service applies the real rules and names the field); they only keep
 * a hand-made post from being a large one. clientID is absent when a client is changed (it cannot be renamed).
 */
export const ClientForm = Type.Object({
  clientID: Text(1024),
  name: Text(1024),
  callbackURL: Text(4096),
  tokenMethod: Ticks,
  disableStrategies: Text(4096),
  oidc: Tick,
  redirectUris: Text(48_000),
  postLogoutRedirectUris: Text(48_000),
  grantTypes: Ticks,
  tokenEndpointAuthMethod: Text(64),
  scopes: Text(32_000),
  firstParty: Tick,
  backchannelLogoutUri: Text(4096),
  jwksUri: Text(4096),
  jwks: Text(64_000),
}, { additionalProperties: false });

/** What the form shows: the values as typed (lists as lines), and the errors per field (`form`: above it). */
export interface ClientFormValues {
  clientID: string;
  name: string;
  callbackURL: string;
  tokenMethod: string[];
  disableStrategies: string;
  oidc: boolean;
  redirectUris: string;
  postLogoutRedirectUris: string;
  grantTypes: string[];
  tokenEndpointAuthMethod: string;
  scopes: string;
  firstParty: boolean;
  backchannelLogoutUri: string;
  jwksUri: string;
  jwks: string;
}

export interface ClientFormState {
  values: ClientFormValues;
  errors: FieldErrors;
}

/** The fields whose values are one per line, whose service errors name a line (`redirectUris.2`). */
const LINE_FIELDS = new Set(['redirectUris', 'postLogoutRedirectUris', 'scopes', 'disableStrategies']);

/** A new client's form: seed 000's defaults, and the OpenID defaults ready for when the box is ticked. */
export function newClientValues(): ClientFormValues {
  const oidc = defaultOidcFields([]);
  return {
    clientID: '', name: '', callbackURL: '', tokenMethod: ['query'], disableStrategies: '', oidc: false,
    redirectUris: '', postLogoutRedirectUris: '', grantTypes: oidc.grantTypes, tokenEndpointAuthMethod: oidc.tokenEndpointAuthMethod,
    scopes: oidc.scopes.join('\n'), firstParty: false, backchannelLogoutUri: '', jwksUri: '', jwks: '',
  };
}

/** A stored client as the form shows it, for a change. */
export function clientValues(client: Client): ClientFormValues {
  const oidc = client.oidc ?? defaultOidcFields([]);
  return {
    clientID: client.clientID, name: client.name ?? '', callbackURL: client.callbackURL, tokenMethod: [...client.config.tokenMethod],
    disableStrategies: client.config.disableStrategies.join('\n'), oidc: client.oidc !== null,
    redirectUris: oidc.redirectUris.join('\n'), postLogoutRedirectUris: oidc.postLogoutRedirectUris.join('\n'), grantTypes: [...oidc.grantTypes],
    tokenEndpointAuthMethod: oidc.tokenEndpointAuthMethod, scopes: oidc.scopes.join('\n'), firstParty: oidc.firstParty,
    backchannelLogoutUri: oidc.backchannelLogoutUri ?? '', jwksUri: oidc.jwksUri ?? '', jwks: oidc.jwks ? JSON.stringify(oidc.jwks, null, 2) : '',
  };
}

/** The posted form's values, and the errors of its shape (a field too long, an unknown field). */
export function postedForm(lang: Lang, request: FastifyRequest): ClientFormState {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  const ticks = (key: string) => [body[key]].flat().filter((value): value is string => typeof value === 'string');
  const values: ClientFormValues = {
    clientID: text('clientID').trim(), name: text('name').trim(), callbackURL: text('callbackURL').trim(), tokenMethod: ticks('tokenMethod'),
    disableStrategies: text('disableStrategies'), oidc: body.oidc === 'on', redirectUris: text('redirectUris'),
    postLogoutRedirectUris: text('postLogoutRedirectUris'), grantTypes: ticks('grantTypes'), tokenEndpointAuthMethod: text('tokenEndpointAuthMethod').trim(),
    scopes: text('scopes'), firstParty: body.firstParty === 'on', backchannelLogoutUri: text('backchannelLogoutUri').trim(),
    jwksUri: text('jwksUri').trim(), jwks: text('jwks'),
  };
  const errors: FieldErrors = {};
  for (const error of request.validationError ? fieldErrors(request.validationError.validation, 'body') : []) {
    const field = error.field.split('.')[0]!;
    addError(errors, field in values ? field : 'form', at(lang, 'error.invalid', { fields: error.field }));
  }
  return { values, errors };
}

/**
 * The service's input from the form: lists one per line, empty optional fields absent; the OpenID fields only when
 * the box is ticked (none given keeps a seed-000 client, as in the API). A JWK Set that is not JSON is the form's error.
 */
export function clientInput(lang: Lang, values: ClientFormValues, errors: FieldErrors): ClientInput {
  const input: ClientInput = {
    clientID: values.clientID, callbackURL: values.callbackURL,
    config: { tokenMethod: values.tokenMethod, disableStrategies: linesOf(values.disableStrategies) },
    ...(values.name ? { name: values.name } : {}),
  };
  if (!values.oidc) return input;
  return {
    ...input,
    redirectUris: linesOf(values.redirectUris), postLogoutRedirectUris: linesOf(values.postLogoutRedirectUris),
    grantTypes: values.grantTypes, tokenEndpointAuthMethod: values.tokenEndpointAuthMethod, scopes: linesOf(values.scopes),
    firstParty: values.firstParty, backchannelLogoutUri: values.backchannelLogoutUri || null, jwksUri: values.jwksUri || null,
    jwks: parseJwks(lang, values.jwks, errors),
  };
}

function parseJwks(lang: Lang, text: string, errors: FieldErrors): unknown {
  if (text.trim() === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // reported below, like a value of the wrong shape
  }
  addError(errors, 'jwks', at(lang, 'client.invalidJson'));
  return null;
}

/**
 * ClientService's refusals as the form's errors: each problem next to its field (a list's by its line and value), a
 * taken clientID next to it, permission scopes the caller does not hold next to the scopes. The service's rule
 * messages are the API's (English). Anything else (a missing client) is the error page's.
 */
export function serviceErrors(lang: Lang, values: ClientFormValues, error: unknown): { status: number; errors: FieldErrors } {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  const errors: FieldErrors = {};
  if (error.code === 'forbidden' && error.message.startsWith('scopes:')) {
    const above = /\(([^)]*)\)$/.exec(error.message)?.[1] ?? '';
    return { status: 403, errors: { scopes: [at(lang, 'client.scopesAbove', { scopes: above })] } };
  }
  if (error.code !== 'invalid-request' && error.code !== 'conflict') throw error;
  addProblems(lang, values, error.extra.errors ?? [], errors);
  if (!Object.keys(errors).length) throw error;
  return { status: error.status, errors };
}

/**
 * The form's own errors (a JWK Set that is not JSON, a field too long) and, with them, every problem ClientService's
 * rules (checkClient, which stores nothing) find in the rest — so one post names every field to correct.
 */
export function withRuleErrors(lang: Lang, values: ClientFormValues, input: ClientInput, errors: FieldErrors, options: { checkId: boolean }): FieldErrors {
  const all: FieldErrors = { ...errors };
  addProblems(lang, values, checkClient(input, options).errors, all);
  return all;
}

/** Each of the service's problems next to its field; a list's names its line and value (`redirectUris.1` → "Line 2 (…)"). */
function addProblems(lang: Lang, values: ClientFormValues, problems: readonly FieldError[], errors: FieldErrors): void {
  for (const problem of problems) {
    const [first, index] = problem.field.replace(/^config\./, '').split('.');
    const field = first ?? 'form';
    if (field === 'jwks' && errors.jwks?.length) continue; // the form's own "not JSON" says it already
    if (index !== undefined && /^\d+$/.test(index) && LINE_FIELDS.has(field)) {
      const value = linesOf(values[field as 'scopes'])[Number(index)] ?? '';
      addError(errors, field, at(lang, 'client.line', { line: Number(index) + 1, value, message: problem.message }));
    } else {
      addError(errors, field in values ? field : 'form', problem.message);
    }
  }
}

/** Adds, above the form, which fields need correcting, by their labels (the first of them takes the focus). */
export function withSummary(lang: Lang, errors: FieldErrors): FieldErrors {
  const fields = Object.keys(errors).filter((key) => key !== 'form');
  if (!fields.length) return errors;
  const labels = fields.map((key) => at(lang, `field.${key}` as AdminMessageKey));
  return { ...errors, form: [...(errors.form ?? []), at(lang, 'client.fixFields', { fields: labels.join(', ') })] };
}

/** The permission scopes of a client the actor does not hold: ClientService refuses every change of such a client. */
export function scopesAbove(actor: Principal, client: Client): string[] {
  return (client.oidc?.scopes ?? []).filter((scope) => !STANDARD_SCOPES.includes(scope) && !isPermitted(actor.permissions, scope));
}
