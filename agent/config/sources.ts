/**
 * Turns each configuration source (a YAML document, the environment, command-line overrides) into
 * a list of validated settings. Validation happens here, per source, so every error can name the
 * file, variable or flag it came from together with the key path.
 */
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { closest } from '../edit-distance';
import { ConfigError, ValueError } from './errors';
import { FIELDS, SECTIONS } from './schema';
import { describeRaw, RawMap, RawValue } from './types';

/** One validated value and where it came from. */
export interface Setting {
  readonly keyPath: string;
  readonly value: unknown;
  readonly source: string;
}

/** Environment variables `PIKVM_AGENT_<SECTION>__<KEY>` set configuration keys. */
export const ENV_PREFIX = 'PIKVM_AGENT_';
/** Variables with the prefix that are not configuration (the CLI clients find the socket by it). */
export const NON_CONFIG_ENV: ReadonlySet<string> = new Set(['PIKVM_AGENT_SOCKET']);
/** Named command-line flags and the key each sets; the CLI passes them as `--flag=value`. */
export const FLAG_KEYS: Readonly<Record<string, string>> = {
  '--log-level': 'log.level',
  '--run-dir': 'run_dir',
  '--control-socket': 'control.socket',
  '--http-listen': 'http.listen',
  '--udc': 'gadget.udc',
  '--video-source': 'video.source',
  '--video-device': 'video.device',
};
/** How `key.path=value` overrides are named in errors. */
export const OVERRIDE_SOURCE = 'command line';

/** The known key closest to a mistyped one: a small edit away, or the same name in another section. */
export function nearestKey(keyPath: string): string | undefined {
  const known = [...FIELDS.keys(), ...SECTIONS];
  const last = keyPath.slice(keyPath.lastIndexOf('.') + 1);
  return closest(keyPath, known) ?? known.find((candidate) => candidate.endsWith(`.${last}`));
}

function unknownKey(source: string, keyPath: string): ConfigError {
  const near = nearestKey(keyPath);
  return new ConfigError(source, keyPath, `unknown key${near ? ` (did you mean ${near}?)` : ''}`);
}

function parseAs(source: string, keyPath: string, parse: () => unknown): Setting {
  try {
    return { keyPath, source, value: parse() };
  } catch (e) {
    if (e instanceof ValueError) throw new ConfigError(source, `${keyPath}${e.subPath}`, e.message);
    throw e;
  }
}

/**
 * A setting given as text. With `entries`, a path one level below a mapping key sets one entry
 * (`kickstart.vars.arch=x86_64`); environment names are upper case, so they set whole mappings only.
 */
function textSetting(source: string, keyPath: string, text: string, entries: boolean): Setting {
  const field = FIELDS.get(keyPath);
  if (field) return parseAs(source, keyPath, () => field.type.fromText(text));
  if (SECTIONS.has(keyPath)) {
    const example = [...FIELDS.keys()].find((k) => k.startsWith(`${keyPath}.`));
    throw new ConfigError(source, keyPath, `is a section, not a key (e.g. ${example})`);
  }
  const dot = keyPath.lastIndexOf('.');
  const parent = FIELDS.get(keyPath.slice(0, dot));
  if (entries && dot > 0 && parent?.type.mergeEntries) {
    const name = keyPath.slice(dot + 1);
    return parseAs(source, keyPath.slice(0, dot), () => parent.type.fromRaw(new RawMap([[name, text]])));
  }
  throw unknownKey(source, keyPath);
}

/** Settings from `PIKVM_AGENT_*` variables; an unknown one is an error naming the variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Setting[] {
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !NON_CONFIG_ENV.has(name))
    .sort();
  return names.flatMap((name) => {
    const text = env[name];
    if (text === undefined) return [];
    const levels = name.slice(ENV_PREFIX.length).split('__');
    if (levels.some((level) => level === '')) {
      throw new ConfigError(name, '', `expected ${ENV_PREFIX}<SECTION>__<KEY> (one double underscore between levels)`);
    }
    return [textSetting(name, levels.map((level) => level.toLowerCase()).join('.'), text, false)];
  });
}

/** Settings from the command line: `key.path=value`, or a named flag `--control-socket=/x.sock`. */
export function settingsFromOverrides(overrides: readonly string[]): Setting[] {
  return overrides.map((override) => {
    const eq = override.indexOf('=');
    if (override.startsWith('--')) {
      const flag = eq < 0 ? override : override.slice(0, eq);
      const keyPath = FLAG_KEYS[flag];
      if (keyPath === undefined) throw new ConfigError(flag, '', `unknown option (known: ${Object.keys(FLAG_KEYS).join(', ')})`);
      if (eq < 0) throw new ConfigError(flag, keyPath, 'expected a value');
      return textSetting(flag, keyPath, override.slice(eq + 1), false);
    }
    if (eq <= 0) throw new ConfigError(OVERRIDE_SOURCE, '', `expected key.path=value, got ${JSON.stringify(override)}`);
    return textSetting(OVERRIDE_SOURCE, override.slice(0, eq).trim(), override.slice(eq + 1), true);
  });
}

/** A YAML node as source text (see types.ts for why scalars keep their text). */
function toRaw(node: unknown, doc: Document): RawValue {
  if (isAlias(node)) return toRaw(node.resolve(doc), doc);
  if (isScalar(node)) {
    if (node.value === null) return node.source ? null : ''; // `key:` is '', `key: ~` is null
    return typeof node.source === 'string' ? node.source : String(node.value);
  }
  if (isSeq(node)) return node.items.map((item) => toRaw(item, doc));
  if (isMap(node)) {
    return new RawMap(
      node.items.map((pair) => {
        const key = toRaw(pair.key, doc);
        return [typeof key === 'string' ? key : describeRaw(key), toRaw(pair.value, doc)] as const;
      }),
    );
  }
  return '';
}

function settingsFromMap(map: RawMap, prefix: string, source: string, out: Setting[]): void {
  for (const [key, raw] of map.entries) {
    const keyPath = prefix === '' ? key : `${prefix}.${key}`;
    const field = FIELDS.get(keyPath);
    if (field) out.push(parseAs(source, keyPath, () => field.type.fromRaw(raw)));
    else if (!SECTIONS.has(keyPath)) throw unknownKey(source, keyPath);
    else if (raw instanceof RawMap) settingsFromMap(raw, keyPath, source, out);
    else if (raw !== '') throw new ConfigError(source, keyPath, `expected a mapping (a section), got ${describeRaw(raw)}`);
  }
}

/** Settings from one YAML document; syntax errors name the line. */
export function settingsFromYaml(text: string, source: string): Setting[] {
  const doc = parseDocument(text, { lineCounter: new LineCounter(), uniqueKeys: true });
  const [error] = doc.errors;
  if (error) {
    const where = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : '';
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(source, '', `${where}YAML syntax error: ${message}`);
  }
  const raw = toRaw(doc.contents, doc);
  if (raw === '') return []; // an empty file or only comments
  if (!(raw instanceof RawMap)) throw new ConfigError(source, '', `expected a mapping of sections, got ${describeRaw(raw)}`);
  const out: Setting[] = [];
  settingsFromMap(raw, '', source, out);
  return out;
}
