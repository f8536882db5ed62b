/**
 * The agent's configuration, as the rest of the agent imports it (`from './config'`): the schema
 * and its typed value (schema.ts, types.ts), loading from files, drop-ins, environment and command
 * line (load.ts, sources.ts), errors naming source and key path (errors.ts), and `print-config`
 * formatting (resolve.ts).
 */
export { ConfigError } from './errors';
export { DROP_IN_DIR, loadConfig, type LoadConfigOptions } from './load';
export { formatConfig, valueAt } from './resolve';
export { AgentConfig, SCHEMA } from './schema';
export { ENV_PREFIX, FLAG_KEYS, NON_CONFIG_ENV, OVERRIDE_SOURCE } from './sources';
