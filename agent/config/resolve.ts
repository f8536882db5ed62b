/**
 * Merges validated settings (later sources win; mappings merge entry by entry, lists are replaced),
 * fills defaults, checks rules that span keys, and prints the effective configuration as YAML.
 */
import { Document } from 'yaml';
import { ConfigError } from './errors';
import { AgentConfig, FIELDS } from './schema';
import { Setting } from './sources';
import { splitListen } from './types';

/** Source name of values nobody set. */
export const DEFAULTS_SOURCE = 'built-in defaults';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function checkAcrossKeys(values: ReadonlyMap<string, unknown>, origin: ReadonlyMap<string, string>): void {
  const sourceOf = (...keyPaths: string[]) =>
    keyPaths.map((k) => origin.get(k)).find((s) => s !== undefined) ?? DEFAULTS_SOURCE;
  /** `key` must not exceed the number at `bound`; blamed on the source that set either. */
  const atMost = (key: string, bound: string) => {
    const value = values.get(key) as number;
    const limit = values.get(bound) as number;
    if (value > limit) throw new ConfigError(sourceOf(key, bound), key, `must not exceed ${bound} (${limit}), got ${value}`);
  };
  atMost('video.default_fps', 'video.max_fps');
  atMost('kickstart.max_template_bytes', 'kickstart.max_upload_bytes');
  if (values.get('control.socket') === values.get('http.unix_socket')) {
    throw new ConfigError(
      sourceOf('http.unix_socket', 'control.socket'),
      'http.unix_socket',
      `must differ from control.socket (${String(values.get('control.socket'))})`,
    );
  }
  checkExposure(values, sourceOf);
}

/** Loopback hosts: only this machine can connect (nginx and ssh tunnels). */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * A TCP listener anyone on the network can reach serves the screen, the status and the streams:
 * it needs `http.token` / `http.token_file`, or an explicit `http.public: true`.
 */
function checkExposure(values: ReadonlyMap<string, unknown>, sourceOf: (...keyPaths: string[]) => string): void {
  const token = values.get('http.token') as string;
  const tokenFile = values.get('http.token_file') as string;
  if (token !== '' && tokenFile !== '') {
    throw new ConfigError(sourceOf('http.token_file', 'http.token'), 'http.token_file', 'set http.token or http.token_file, not both');
  }
  const listen = values.get('http.listen') as string;
  if (listen === '' || token !== '' || tokenFile !== '' || values.get('http.public') === true) return;
  if (isLoopbackHost(splitListen(listen).host)) return;
  throw new ConfigError(
    sourceOf('http.listen'),
    'http.listen',
    `${listen} is reachable from the network: set http.token or http.token_file (or http.public: true to serve the screen to anyone)`,
  );
}

/** The complete configuration from settings in increasing precedence. */
export function resolveConfig(settings: readonly Setting[]): AgentConfig {
  const values = new Map<string, unknown>();
  const origin = new Map<string, string>();
  for (const { keyPath, value, source } of settings) {
    const previous = values.get(keyPath);
    const merge = FIELDS.get(keyPath)?.type.mergeEntries && previous !== undefined;
    values.set(keyPath, merge ? { ...(previous as object), ...(value as object) } : value);
    origin.set(keyPath, source);
  }
  for (const [keyPath, { initial }] of FIELDS) {
    if (!values.has(keyPath) && 'value' in initial) values.set(keyPath, structuredClone(initial.value));
  }
  for (const [keyPath, { initial }] of FIELDS) {
    if (!values.has(keyPath) && 'fromKey' in initial) values.set(keyPath, initial.compute(values.get(initial.fromKey)));
  }
  checkAcrossKeys(values, origin);
  const inSchemaOrder = new Map([...FIELDS.keys()].map((keyPath) => [keyPath, values.get(keyPath)]));
  return deepFreeze(nest(inSchemaOrder, (_keyPath, value) => value)) as AgentConfig;
}

function nest(values: ReadonlyMap<string, unknown>, map: (keyPath: string, value: unknown) => unknown) {
  const root: Record<string, unknown> = {};
  for (const [keyPath, value] of values) {
    const levels = keyPath.split('.');
    let node = root;
    for (const level of levels.slice(0, -1)) node = (node[level] ??= {}) as Record<string, unknown>;
    node[levels[levels.length - 1]!] = map(keyPath, value);
  }
  return root;
}

/** Reads a key path out of a configuration. */
export function valueAt(config: AgentConfig, keyPath: string): unknown {
  return keyPath.split('.').reduce<unknown>((node, level) => (node as Record<string, unknown>)[level], config);
}

/** The effective configuration as YAML that `loadConfig` reads back to the same value. */
export function formatConfig(config: AgentConfig): string {
  const values = new Map([...FIELDS.keys()].map((keyPath) => [keyPath, valueAt(config, keyPath)]));
  // The access token is a secret: say that one is set, never print it (print-config output ends up
  // in bug reports and logs).
  if (values.get('http.token')) values.set('http.token', '(set)');
  const doc = new Document(nest(values, (keyPath, value) => FIELDS.get(keyPath)!.type.toYaml(value)));
  doc.commentBefore = ' pikvm-agent: effective configuration (defaults, files, drop-ins, environment, flags)';
  return doc.toString();
}
