/**
 * Building blocks of the configuration schema: typed fields that parse one value each, and the walker that
 * reads a section, reports unknown keys and collects every problem instead of stopping at the first.
 */
import { describeValue, parseDuration, type DurationOptions } from './durations.js';

/** Thrown by a value parser with a message lacking the key path; why: the walker adds the path once. */
export class Invalid extends Error {}

/** State shared while reading one configuration; why: defaults may depend on keys read earlier (baseUrl ← port). */
export interface Ctx {
  readonly problems: string[];
  /** The configuration built so far (sections are filled in key order). */
  readonly root: Record<string, unknown>;
}

/** One configuration key; why: a single object knows how to parse, default and env-decode its value. */
export interface Field<T> {
  readonly kind: 'field';
  /** Parses a present value; a bad value records a problem and the default stands in. */
  read(raw: unknown, path: string, ctx: Ctx): T;
  /** The default when the key is absent. */
  fallback(ctx: Ctx): T;
  /** How an environment value is decoded: verbatim text (strings, so `#` or `*` survive) or YAML. */
  readonly env: 'verbatim' | 'yaml';
  readonly nullable: boolean;
  /** Absence is a problem (`<path>: required`). */
  readonly required: boolean;
  /** Not settable from the file or `GATEHOUSE_<PATH>` (e.g. admin.initialPassword). */
  readonly internal: boolean;
  /** Sub-keys of an object-valued field (nullable section or list of sections), for env mapping. */
  readonly children?: { readonly spec: LooseSpec; readonly list: boolean };
}

/** A nested group of keys; why: mirrors the nesting of the `Config` interface. */
export interface Section<T> {
  readonly kind: 'section';
  readonly fields: Spec<T>;
}

/** A node of the schema tree. */
export type Node<T> = Field<T> | Section<T>;

/** The schema for an object type: one node per key, checked against the type by the compiler. */
export type Spec<T> = { readonly [K in keyof T]-?: Node<T[K]> };

/** The schema tree without type parameters; why: the walker and the env mapper traverse it generically. */
export type LooseSpec = Readonly<Record<string, Field<unknown> | LooseSection>>;

/** A section of a {@link LooseSpec}. */
export interface LooseSection {
  readonly kind: 'section';
  readonly fields: LooseSpec;
}

/** Views a typed spec as a loose one; why: the walker does not need the types. */
export function loose<T>(spec: Spec<T>): LooseSpec {
  return spec as unknown as LooseSpec;
}

/** Wraps a spec as a section node. */
export function section<T>(fields: Spec<T>): Section<T> {
  return { kind: 'section', fields };
}

interface FieldOptions {
  env?: 'verbatim' | 'yaml';
  internal?: boolean;
  required?: boolean;
  children?: { spec: LooseSpec; list: boolean };
}

/** Makes a field from a parser and a default; why: every key gets the same problem reporting. */
export function field<T>(
  parse: (raw: unknown, ctx: Ctx, path: string) => T,
  fallback: T | ((ctx: Ctx) => T),
  options: FieldOptions = {},
): Field<T> {
  const fallbackFn = (ctx: Ctx): T =>
    typeof fallback === 'function' ? (fallback as (ctx: Ctx) => T)(ctx) : fallback;
  return {
    kind: 'field',
    env: options.env ?? 'yaml',
    nullable: false,
    required: options.required ?? false,
    internal: options.internal ?? false,
    ...(options.children ? { children: options.children } : {}),
    fallback: fallbackFn,
    read(raw, path, ctx) {
      try {
        return parse(raw, ctx, path);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        ctx.problems.push(`${path}: ${error.message}`);
        return fallbackFn(ctx);
      }
    },
  };
}

/** Lets a field be `null` (the default); why: "none" in CONTRACT §2 is null in `Config`. */
export function nullable<T>(inner: Field<T>): Field<T | null> {
  return {
    ...inner,
    nullable: true,
    required: false,
    fallback: () => null,
    read(raw, path, ctx) {
      if (raw === null) return null;
      const before = ctx.problems.length;
      const value = inner.read(raw, path, ctx);
      return ctx.problems.length > before ? null : value;
    },
  };
}

/** Joins a key path; why: problem lines name keys as `a.b.c` and list items as `a[0].b`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** True for a plain object (not an array or null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads one section of input into `target`, reporting unknown keys and bad values.
 * Why: filling `target` in place lets later defaults see earlier keys through `ctx.root`.
 */
export function readSection(
  spec: LooseSpec,
  raw: unknown,
  path: string,
  ctx: Ctx,
  target: Record<string, unknown>,
): void {
  const input = sectionInput(raw, path, ctx);
  reportUnknownKeys(spec, input, path, ctx);
  for (const [key, node] of Object.entries(spec)) {
    const keyPath = joinPath(path, key);
    if (node.kind === 'section') {
      const child: Record<string, unknown> = {};
      target[key] = child;
      readSection(node.fields, input[key], keyPath, ctx, child);
    } else {
      const value = node.internal ? undefined : input[key];
      if (value === undefined && node.required) ctx.problems.push(`${keyPath}: required`);
      target[key] = value === undefined ? node.fallback(ctx) : node.read(value, keyPath, ctx);
    }
  }
}

/** An absent or empty (`null`) section reads as `{}`; anything else but an object is a problem. */
function sectionInput(raw: unknown, path: string, ctx: Ctx): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (isObject(raw)) return raw;
  ctx.problems.push(`${path || 'config'}: must be an object (got ${describeValue(raw)})`);
  return {};
}

function reportUnknownKeys(spec: LooseSpec, input: Record<string, unknown>, path: string, ctx: Ctx): void {
  for (const key of Object.keys(input)) {
    const node = Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (node === undefined) ctx.problems.push(`${joinPath(path, key)}: unknown key`);
    else if (node.kind === 'field' && node.internal) ctx.problems.push(`${joinPath(path, key)}: ${internalHint(key)}`);
  }
}

function internalHint(key: string): string {
  return key === 'initialPassword'
    ? 'unknown key (set the GATEHOUSE_ADMIN_PASSWORD environment variable instead)'
    : 'unknown key';
}

/* ---------------------------------------------------------------- value parsers */

/** A string field; why: most keys are non-empty strings and must not silently take numbers. */
export function str(fallback: string | ((ctx: Ctx) => string), check?: (value: string) => string): Field<string> {
  return field((raw) => (check ? check(asString(raw)) : asString(raw)), fallback, { env: 'verbatim' });
}

/** A string key without a default; why: client ids and secrets must be given. */
export function requiredStr(check?: (value: string) => string): Field<string> {
  return field((raw) => (check ? check(asString(raw)) : asString(raw)), '', { env: 'verbatim', required: true });
}

/** Requires a non-empty string; numbers are refused (YAML would have lost leading zeros or precision). */
export function asString(raw: unknown): string {
  if (typeof raw === 'number') throw new Invalid(`must be a string (got ${describeValue(raw)}; quote it in YAML)`);
  if (typeof raw !== 'string') throw new Invalid(`must be a string (got ${describeValue(raw)})`);
  if (raw.trim() === '') throw new Invalid('must not be empty');
  return raw;
}

/** A boolean field accepting `true/false/on/off` in any case; why: env values arrive as strings. */
export function bool(fallback: boolean): Field<boolean> {
  return field((raw) => asBoolean(raw), fallback);
}

function asBoolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (text === 'true' || text === 'on') return true;
  if (text === 'false' || text === 'off') return false;
  throw new Invalid(`must be true, false, on or off (got ${describeValue(raw)})`);
}

/** An integer field within `[min, max]`; why: numeric strings from the file or env are accepted. */
export function int(fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, rule?: string): Field<number> {
  const text = rule ?? (max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`);
  return field((raw) => {
    const value = asInteger(raw);
    if (value === undefined || value < min || value > max) throw new Invalid(`must be ${text} (got ${describeValue(raw)})`);
    return value;
  }, fallback);
}

/** Integers as numbers or decimal strings; undefined otherwise. */
export function asInteger(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw)) {
    const value = Number(raw);
    return Number.isSafeInteger(value) ? value : undefined;
  }
  return undefined;
}

/** One of a fixed set of strings, case-insensitive; why: enums in CONTRACT §2 are lower-case words. */
export function oneOf<const V extends string>(values: readonly V[], fallback: V): Field<V> {
  return field((raw) => asOneOf(values, raw), fallback);
}

/** Matches a value against an enum ignoring case, returning the canonical spelling. */
export function asOneOf<V extends string>(values: readonly V[], raw: unknown): V {
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  const found = values.find((value) => value.toLowerCase() === text);
  if (found === undefined) throw new Invalid(`must be one of ${values.join(', ')} (got ${describeValue(raw)})`);
  return found;
}

/** A list of strings; a single string is taken as a one-item list; why: `GATEHOUSE_X=alice` means `[alice]`. */
export function strList(fallback: readonly string[], check?: (value: string, index: number) => string): Field<string[]> {
  return field((raw) => {
    const items = Array.isArray(raw) ? raw : [raw];
    return items.map((item, index) => {
      let value: string;
      try {
        value = asString(item);
      } catch (error) {
        throw new Invalid(`item ${index}: ${(error as Error).message}`);
      }
      return check ? check(value, index) : value;
    });
  }, () => [...fallback]);
}

/** A duration in milliseconds; why: TTLs are written `1h`, stored as numbers. */
export function duration(fallback: number, options: DurationOptions & { positive?: boolean } = {}): Field<number> {
  return field((raw) => {
    const value = asDuration(raw, options);
    if (value === null) throw new Invalid('"never" is not allowed here');
    return value;
  }, fallback);
}

/** A duration that may be `never` (null); why: tokens.guestRefreshTokenTtl (seed 003). */
export function durationOrNever(fallback: number | null): Field<number | null> {
  const inner = field((raw) => asDuration(raw, { allowNever: true, positive: true }), fallback);
  return { ...inner, read: (raw, path, ctx) => (raw === null ? null : inner.read(raw, path, ctx)) };
}

function asDuration(raw: unknown, options: DurationOptions & { positive?: boolean }): number | null {
  let value: number | null;
  try {
    value = parseDuration(raw, options);
  } catch (error) {
    throw new Invalid((error as Error).message);
  }
  if (options.positive && value === 0) throw new Invalid(`must be longer than 0 (got ${describeValue(raw)})`);
  return value;
}

/**
 * A number of seconds (cookie and session max-age): `-1` for a session cookie, a bare number of seconds or a
 * duration such as `1d`, rounded to whole seconds. Why: seed 004 counts these in seconds.
 */
export function seconds(fallback: number | ((ctx: Ctx) => number)): Field<number> {
  return field((raw) => {
    if (raw === -1 || (typeof raw === 'string' && raw.trim() === '-1')) return -1;
    try {
      return Math.round((parseDuration(raw, { bareUnit: 's' }) ?? 0) / 1000);
    } catch {
      throw new Invalid(`must be -1 (session) or a number of seconds or a duration such as "1d" (got ${describeValue(raw)})`);
    }
  }, fallback);
}

/** A list whose items are sections; why: clients and providers.oidc are lists of objects. */
export function listOf<T>(spec: Spec<T>): Field<T[]> {
  const itemSpec = loose(spec);
  return field((raw, ctx, path) => {
    if (!Array.isArray(raw)) throw new Invalid(`must be a list (got ${describeValue(raw)})`);
    return raw.map((item: unknown, index) => {
      const target: Record<string, unknown> = {};
      readSection(itemSpec, item, joinPath(path, index), ctx, target);
      return target as T;
    });
  }, () => [], { children: { spec: itemSpec, list: true } });
}

/** An optional object (`null` when absent); why: providers.google / facebook are off until configured. */
export function optionalSection<T>(spec: Spec<T>): Field<T | null> {
  const objectSpec = loose(spec);
  const inner = field((raw, ctx, path) => {
    const target: Record<string, unknown> = {};
    readSection(objectSpec, raw, path, ctx, target);
    return target as T;
  }, null as T | null, { children: { spec: objectSpec, list: false } });
  return { ...inner, nullable: true, read: (raw, path, ctx) => (raw === null ? null : inner.read(raw, path, ctx)) };
}
