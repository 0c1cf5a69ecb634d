/**
 * Environment overrides (CONTRACT §2): `GATEHOUSE_` + key path in SCREAMING_SNAKE_CASE joined by `__`, plus the
 * platform variables `PORT`, `DATABASE_URL` and `REDIS_URL`. Names are matched against the schema's keys.
 */
import YAML from 'yaml';
import { isObject, joinPath, type Field, type LooseSpec } from './fields.js';
import { LOOSE_SCHEMA } from './schema.js';

/** Environment variables as Node gives them; why: `process.env` fits without a cast. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Variables that are read elsewhere and are not configuration keys. */
export const RESERVED_ENV = Object.freeze(['GATEHOUSE_CONFIG', 'GATEHOUSE_ADMIN_PASSWORD']);

const PREFIX = 'GATEHOUSE_';
const PLATFORM: ReadonlyArray<readonly [string, string[]]> = [
  ['PORT', ['server', 'port']],
  ['DATABASE_URL', ['database', 'url']],
  ['REDIS_URL', ['redis', 'url']],
];

/** Where an override came from; why: a bad value's problem line names the variable that set it. */
export interface EnvSource {
  /** Key path as problem lines spell it (`clients[0].clientID`). */
  readonly path: string;
  readonly variable: string;
}

/** The input with overrides applied, problems with variable names, and the source of each override. */
export interface EnvResult {
  readonly input: unknown;
  readonly problems: string[];
  readonly sources: EnvSource[];
}

/**
 * Converts a camelCase key to its env segment (`maxAttempts` → `MAX_ATTEMPTS`, `clientID` → `CLIENT_ID`).
 * Why: the one rule that names every variable.
 */
export function envSegment(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

/** The variable that overrides a key path (`password.policy.minLength` → `GATEHOUSE_PASSWORD__POLICY__MIN_LENGTH`). */
export function envVarName(path: string): string {
  return PREFIX + path.split('.').map(envSegment).join('__');
}

interface Target {
  readonly segments: ReadonlyArray<string | number>;
  /** The leaf field, when the path ends at one (not at a section or a list item). */
  readonly leaf?: Field<unknown>;
}

/**
 * Applies `PORT`/`DATABASE_URL`/`REDIS_URL`, then every `GATEHOUSE_*` variable (shallow paths first) to a copy
 * of the file's input. Why: precedence is file < platform variables < explicit `GATEHOUSE_*`.
 */
export function applyEnv(input: unknown, env: Env): EnvResult {
  const problems: string[] = [];
  const sources: EnvSource[] = [];
  const root = input === undefined || input === null ? {} : cloneData(input);
  if (!isObject(root)) return { input: root, problems, sources };
  const apply = (variable: string, value: string, target: Target): void => {
    const decoded = decode(value, target.leaf);
    if (decoded.error !== undefined) problems.push(`${variable}: ${decoded.error}`);
    else if (setPath(root, target.segments, decoded.value, problems, variable)) {
      sources.push({ path: displayPath(target.segments), variable });
    }
  };
  for (const [variable, segments] of PLATFORM) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') apply(variable, value, targetOf(segments));
  }
  for (const [variable, value, target] of gatehouseVariables(env, problems)) apply(variable, value, target);
  return { input: root, problems, sources };
}

/** Resolves every `GATEHOUSE_*` variable, reporting unknown names, ordered by path depth. */
function gatehouseVariables(env: Env, problems: string[]): Array<[string, string, Target]> {
  const found: Array<[string, string, Target]> = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(PREFIX) || value === undefined || RESERVED_ENV.includes(variable)) continue;
    const target = resolve(variable.slice(PREFIX.length));
    if (typeof target === 'string') problems.push(`${variable}: ${target}`);
    else found.push([variable, value, target]);
  }
  // Shallow paths first; then by name with numbers compared as numbers, so list item __1__ follows __0__
  // whatever order the process environment happens to list them in.
  return found.sort((a, b) => a[2].segments.length - b[2].segments.length || a[0].localeCompare(b[0], 'en', { numeric: true }));
}

/** Maps `LOCKOUT__MAX_ATTEMPTS` to `['lockout', 'maxAttempts']` by walking the schema; a string is the problem. */
function resolve(name: string): Target | string {
  const parts = name.split('__');
  const segments: Array<string | number> = [];
  let spec: LooseSpec | undefined = LOOSE_SCHEMA;
  let listOfItems = false;
  let leaf: Field<unknown> | undefined;
  for (const part of parts) {
    if (listOfItems) {
      if (!/^\d+$/.test(part)) return `unknown configuration variable: "${part}" must be a list index`;
      segments.push(Number(part));
      listOfItems = false;
      continue;
    }
    const match = findKey(spec, part);
    if (match === undefined) return unknownMessage(segments, part);
    const [key, node] = match;
    segments.push(key);
    if (node.kind === 'section') {
      spec = node.fields;
      leaf = undefined;
    } else {
      spec = node.children?.spec;
      listOfItems = node.children?.list ?? false;
      leaf = node.children ? undefined : node;
    }
  }
  return leaf ? { segments, leaf } : { segments };
}

/** The key of `spec` whose env segment is `part`; internal keys are not settable from the environment. */
function findKey(spec: LooseSpec | undefined, part: string): [string, LooseSpec[string]] | undefined {
  const match = spec && Object.entries(spec).find(([key]) => envSegment(key) === part);
  return match === undefined || (match[1].kind === 'field' && match[1].internal) ? undefined : match;
}

function unknownMessage(segments: ReadonlyArray<string | number>, part: string): string {
  const where = segments.length === 0 ? 'at the top level' : `under ${displayPath(segments)}`;
  return `unknown configuration variable (no key "${part}" ${where})`;
}

/** Key path as problem lines spell it. */
function displayPath(segments: ReadonlyArray<string | number>): string {
  return segments.reduce<string>((path, segment) => joinPath(path, segment), '');
}

/** The target of a known key path (the platform variables' keys). */
function targetOf(segments: readonly string[]): Target {
  const target = resolve(segments.map(envSegment).join('__'));
  if (typeof target === 'string') throw new Error(`schema has no key ${segments.join('.')}`);
  return target;
}

/** A decoded env value, or why it could not be decoded. */
export type Decoded = { value: unknown; error?: undefined } | { value?: undefined; error: string };

/**
 * Decodes an env value: YAML scalar or flow collection, except string keys, which take the text verbatim so
 * secrets and cron expressions containing `#`, `*` or `: ` survive. Quoted text is YAML-decoded in both cases.
 * Why: a broken flow collection must be reported, not taken as a one-item list of its own text.
 */
export function decode(value: string, leaf?: Field<unknown>): Decoded {
  const text = value.trim();
  if (leaf?.env === 'verbatim') {
    if (leaf.nullable && (text === '' || text === 'null' || text === '~')) return { value: null };
    if (!/^["']/.test(text)) return { value };
  }
  try {
    return { value: YAML.parse(value) as unknown };
  } catch (error) {
    if (/^["'[{]/.test(text)) return { error: `not a valid YAML value (${(error as Error).message.split('\n')[0]})` };
    return { value }; // e.g. a cron-like `* …` for a non-string key: validation reports the raw text
  }
}

/** Sets a value at a path, creating objects and list items; false (with a problem) on a bad index. */
function setPath(root: Record<string, unknown>, segments: ReadonlyArray<string | number>, value: unknown, problems: string[], variable: string): boolean {
  let node: Record<string | number, unknown> | unknown[] = root;
  for (let i = 0; i < segments.length - 1; i += 1) {
    const segment = segments[i] as string | number;
    const nextIsIndex = typeof segments[i + 1] === 'number';
    const child = container(node, segment, nextIsIndex, problems, variable);
    if (child === undefined) return false;
    node = child;
  }
  const last = segments[segments.length - 1] as string | number;
  if (typeof last === 'number' && Array.isArray(node) && last > node.length) {
    problems.push(`${variable}: list index ${last} is past the end (the list has ${node.length} item(s))`);
    return false;
  }
  (node as Record<string | number, unknown>)[last] = value;
  return true;
}

function container(node: Record<string | number, unknown> | unknown[], segment: string | number, wantList: boolean, problems: string[], variable: string): Record<string | number, unknown> | unknown[] | undefined {
  const holder = node as Record<string | number, unknown>;
  if (typeof segment === 'number' && Array.isArray(node) && segment > node.length) {
    problems.push(`${variable}: list index ${segment} is past the end (the list has ${node.length} item(s))`);
    return undefined;
  }
  const current = holder[segment];
  if (wantList ? Array.isArray(current) : isObject(current)) return current as Record<string, unknown> | unknown[];
  if (wantList && current !== undefined && current !== null) {
    problems.push(`${variable}: cannot set an item of a value that is not a list`);
    return undefined;
  }
  const created: Record<string, unknown> | unknown[] = wantList ? [] : {};
  holder[segment] = created;
  return created;
}

/** Copies plain data (objects, arrays, scalars); why: overrides must not mutate the caller's input. */
function cloneData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneData);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cloneData(item)]));
  return value;
}
