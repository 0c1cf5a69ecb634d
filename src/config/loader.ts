/**
 * Turns a configuration file and the environment into a frozen `Config` (CONTRACT §2), or a `ConfigError`
 * listing every problem. Nothing else in the code base reads `process.env` (DESIGN: config once).
 */
import { readFileSync } from 'node:fs';
import YAML, { LineCounter } from 'yaml';
import { applyEnv, type Env, type EnvSource } from './env.js';
import { ConfigError } from './errors.js';
import { validateConfig, type Config } from './schema.js';
import { withSuggestion } from './suggest.js';

/** Minimum length of `GATEHOUSE_ADMIN_PASSWORD` (CONTRACT §2, admin bootstrap). */
export const MIN_ADMIN_PASSWORD_LENGTH = 8;

/**
 * Builds the configuration from a parsed file object (or `{}`) and environment overrides.
 * Why: tests and the CLI get the same defaults, precedence and validation; any partial object is completed.
 * @throws ConfigError with one line per problem.
 */
export function parseConfig(input: unknown, env: Env = {}): Config {
  const overridden = applyEnv(input, env);
  const { config, problems } = validateConfig(overridden.input);
  const adminProblem = applyAdminPassword(config, env);
  const all = [...overridden.problems, ...problems.map((line) => annotate(line, overridden.sources))];
  if (adminProblem) all.push(adminProblem);
  if (all.length > 0) throw new ConfigError(all.map(withSuggestion));
  return deepFreeze(config);
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Path of a YAML or JSON file; defaults to `env.GATEHOUSE_CONFIG`; none means defaults plus env. */
  file?: string | undefined;
  env: Env;
}

/**
 * Reads the configuration file (YAML or JSON; the YAML parser reads both) and applies the environment.
 * Why: the single entry point `serve`, `migrate` and `config check` use at start-up.
 * @throws ConfigError when the file is missing, unreadable or unparseable, or the configuration is invalid.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const file = options.file ?? nonEmpty(options.env.GATEHOUSE_CONFIG);
  return parseConfig(file === undefined ? {} : readConfigFile(file), options.env);
}

/** Parses one file into plain data; an empty file is `{}`. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  const lineCounter = new LineCounter();
  const document = YAML.parseDocument(text, { prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `config file ${file}: not valid YAML or JSON at line ${line}, column ${col} (${firstLine(error.message)})`;
    }));
  }
  return document.toJS() ?? {};
}

/** GATEHOUSE_ADMIN_PASSWORD → admin.initialPassword; returns the problem line when too short. */
function applyAdminPassword(config: Config, env: Env): string | undefined {
  const password = env.GATEHOUSE_ADMIN_PASSWORD;
  if (password === undefined) return undefined;
  if (password.length < MIN_ADMIN_PASSWORD_LENGTH) {
    return `GATEHOUSE_ADMIN_PASSWORD: must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters (got ${password.length})`;
  }
  config.admin.initialPassword = password;
  return undefined;
}

/** Appends the variable that set a bad value, e.g. `… (from GATEHOUSE_LOCKOUT__MAX_ATTEMPTS)`. */
function annotate(line: string, sources: readonly EnvSource[]): string {
  let best: EnvSource | undefined;
  for (const source of sources) {
    const rest = line.slice(source.path.length);
    const covers = line.startsWith(source.path) && /^[:.[]/.test(rest);
    if (covers && (best === undefined || source.path.length >= best.path.length)) best = source; // later wins
  }
  return best ? `${line} (from ${best.variable})` : line;
}

/** Freezes an object graph; why: the configuration is read-only after start-up. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
