/**
 * The agent's configuration, as the rest of the agent imports it (`from './config'`): the schema
 * and its typed value (schema.ts, types.ts), loading from files, drop-ins, environment and command
 * line (load.ts, sources.ts), errors naming source and key path (errors.ts), and `print-config`
 * formatting (resolve.ts).
 */
export { ConfigError } from './errors';
export { loadConfig } from './load';
export { formatConfig } from './resolve';
export { AgentConfig } from './schema';
