/**
 * Loading the configuration: one schema (schema.ts) filled, in increasing precedence,
 * from built-in defaults, the main file (`/etc/pikvm-agent/agent.yaml` or `--config`), drop-ins
 * `<dir of the main file>/agent.d/*.yaml` in name order (a package adds a file without editing the
 * main one), environment variables `PIKVM_AGENT_<SECTION>__<KEY>`, and command-line overrides.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, errnoOf } from '../errors';
import { DEFAULT_CONFIG_FILE } from '../platform/paths';
import { ConfigError } from './errors';
import { resolveConfig } from './resolve';
import type { AgentConfig } from './schema';
import { settingsFromEnv, settingsFromOverrides, settingsFromYaml } from './sources';

/** Name of the drop-in directory next to the main file. */
const DROP_IN_DIR = 'agent.d';

export interface LoadConfigOptions {
  /** The main file; DEFAULT_CONFIG_FILE when not given. */
  configFile?: string;
  /** True when the file was named with `--config`: then it must exist. */
  explicit: boolean;
  env: NodeJS.ProcessEnv;
  /** `key.path=value` strings and named flags as `--control-socket=/x.sock` (see FLAG_KEYS). */
  overrides: readonly string[];
  readFile?: (path: string) => Promise<string>;
  listDir?: (dir: string) => Promise<string[]>;
}

const readUtf8 = (path: string) => readFile(path, 'utf8');

function unreadable(path: string, e: unknown): ConfigError {
  const errno = errnoOf(e);
  const reason = errno === 'ENOENT' ? 'file not found' : errno === 'EACCES' ? 'permission denied' : describe(e);
  return new ConfigError(path, '', `cannot read: ${reason}`);
}

/** Reads, validates and merges every source; throws ConfigError naming source and key path. */
export async function loadConfig(options: LoadConfigOptions): Promise<AgentConfig> {
  const read = options.readFile ?? readUtf8;
  const list = options.listDir ?? readdir;
  const mainFile = options.configFile ?? DEFAULT_CONFIG_FILE;

  const documents: { path: string; text: string }[] = [];
  try {
    documents.push({ path: mainFile, text: await read(mainFile) });
  } catch (e) {
    if (options.explicit || errnoOf(e) !== 'ENOENT') throw unreadable(mainFile, e);
  }

  const dropInDir = join(dirname(mainFile), DROP_IN_DIR);
  let names: string[] = [];
  try {
    names = await list(dropInDir);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT' && errnoOf(e) !== 'ENOTDIR') throw unreadable(dropInDir, e);
  }
  // Name order by code unit, not locale, so the order is the same on every machine.
  for (const name of names.filter((n) => n.endsWith('.yaml') && !n.startsWith('.')).sort()) {
    const path = join(dropInDir, name);
    try {
      documents.push({ path, text: await read(path) });
    } catch (e) {
      throw unreadable(path, e);
    }
  }

  return resolveConfig([
    ...documents.flatMap(({ path, text }) => settingsFromYaml(text, path)),
    ...settingsFromEnv(options.env),
    ...settingsFromOverrides(options.overrides),
  ]);
}
