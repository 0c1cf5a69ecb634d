/**
 * Gatehouse configuration (CONTRACT §2): load once at start-up, validate every key, freeze, pass down.
 */
export { ConfigError } from './errors.js';
export { DURATION_UNITS, parseDuration, type DurationOptions } from './durations.js';
export {
  CONFIG_KEYS,
  type ClientSeed,
  type Config,
  type FacebookProviderConfig,
  type GoogleProviderConfig,
  type OidcProviderConfig,
  type TokenAlgorithm,
  type TokenMethod,
} from './schema.js';
export { isLoopback } from './rules.js';
export { CLIENT_RESOURCE, type OidcResource } from './oidc-resources.js';
export { envVarName, type Env } from './env.js';
export { MIN_ADMIN_PASSWORD_LENGTH, loadConfig, parseConfig, readConfigFile, type LoadConfigOptions } from './loader.js';
export { MASK, maskSecrets, maskUrlPassword } from './mask.js';
export { fastifyTrustProxy, type TrustProxy } from './trust-proxy.js';
