import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from './errors.js';

// ajv-formats ships CommonJS; under NodeNext its default export arrives wrapped.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, removeAdditional: false, useDefaults: true, ...options });
  addFormats(ajv);
  return ajv;
}

// Bodies are JSON and must carry the declared types: `{"password": 123}` is a wrong type, not the string "123".
const bodyAjv = makeAjv({ coerceTypes: false });
// Query strings, params and headers are always text, so they are coerced to the declared types.
const textAjv = makeAjv({ coerceTypes: 'array' });

/** One validator compiler: strict for bodies, coercing for the parts of a request that can only be strings. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);

/** Turns Ajv errors into `{field, message}` pairs naming the offending field. */
export function fieldErrors(errors: ErrorObject[], part: string): FieldError[] {
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const error of errors) {
    const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const params = error.params as { missingProperty?: string; additionalProperty?: string };
    const leaf = params.missingProperty ?? params.additionalProperty;
    const field = [base, leaf].filter(Boolean).join('.') || part;
    const message = params.additionalProperty ? 'is not allowed' : params.missingProperty ? 'is required' : (error.message ?? 'is invalid');
    const key = `${field}:${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      result.push({ field, message });
    }
  }
  return result;
}
