/**
 * `kickstart.query_vars`: the query parameters a kickstart request may set. Each entry is either a
 * bare name (the default pattern and length) or a mapping with its own `pattern` (a regular
 * expression the whole value must match) and `max_length`:
 *
 *   query_vars:
 *     - hostname                      # [A-Za-z0-9._:/@+-]+, at most 256 characters
 *     - { name: disk, pattern: "sd[a-z]|nvme[0-9]n[0-9]", max_length: 16 }
 *
 * From text (environment, `--set`) it is a comma-separated list of names. Whatever the pattern,
 * line breaks and control characters are refused at request time (agent/kickstart/request-vars.ts).
 */
import {
  DEFAULT_QUERY_MAX_LENGTH,
  DEFAULT_QUERY_PATTERN,
  type QueryVarSpec,
  valuePattern,
} from '../kickstart/request-vars';
import { ValueError } from './errors';
import { describeRaw, int, RawMap, type RawValue, str, type ValueType, valueType } from './types';

const NAME = str(64, { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, shape: 'a parameter name', min: 1 });
const MAX_LENGTH = int(1, 4096);
const PATTERN_SOURCE = str(512, { min: 1, shape: 'a regular expression' });
const KEYS = ['name', 'pattern', 'max_length'];

function pattern(raw: RawValue): string {
  const source = PATTERN_SOURCE.fromRaw(raw);
  try {
    valuePattern(source);
  } catch (e) {
    throw new ValueError(`expected a regular expression, got ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
  return source;
}

/** One entry; errors carry the sub-path of the offending key (`.pattern`). */
function entry(raw: RawValue): QueryVarSpec {
  if (typeof raw === 'string') return { name: NAME.fromText(raw.trim()), pattern: DEFAULT_QUERY_PATTERN, max_length: DEFAULT_QUERY_MAX_LENGTH };
  if (!(raw instanceof RawMap)) throw new ValueError(`expected a name or a mapping {name, pattern, max_length}, got ${describeRaw(raw)}`);
  const values = new Map(raw.entries);
  const inKey = <T>(key: string, parse: (raw: RawValue) => T): T => {
    try {
      return parse(values.get(key)!);
    } catch (e) {
      throw e instanceof ValueError ? new ValueError(e.message, `.${key}${e.subPath}`) : e;
    }
  };
  const unknown = [...values.keys()].find((key) => !KEYS.includes(key));
  if (unknown !== undefined) throw new ValueError(`unknown key (known: ${KEYS.join(', ')})`, `.${unknown}`);
  if (!values.has('name')) throw new ValueError('expected a name', '.name');
  return {
    name: inKey('name', (r) => NAME.fromRaw(r)),
    pattern: values.has('pattern') ? inKey('pattern', pattern) : DEFAULT_QUERY_PATTERN,
    max_length: values.has('max_length') ? inKey('max_length', (r) => MAX_LENGTH.fromRaw(r)) : DEFAULT_QUERY_MAX_LENGTH,
  };
}

function entries(raws: readonly RawValue[]): readonly QueryVarSpec[] {
  const seen = new Set<string>();
  return raws.map((raw, i) => {
    try {
      const spec = entry(raw);
      if (seen.has(spec.name)) throw new ValueError(`${spec.name} is listed twice`);
      seen.add(spec.name);
      return spec;
    } catch (e) {
      throw e instanceof ValueError ? new ValueError(e.message, `[${i}]${e.subPath}`) : e;
    }
  });
}

export function queryVarList(): ValueType<readonly QueryVarSpec[]> {
  const expected = 'a list of parameter names or {name, pattern, max_length} mappings';
  const fromText = (text: string) => entries(text.split(',').filter((s) => s.trim() !== ''));
  return valueType({
    expected,
    fromText,
    fromRaw(raw) {
      if (Array.isArray(raw)) return entries(raw);
      if (typeof raw === 'string') return fromText(raw);
      throw new ValueError(`expected ${expected}, got ${describeRaw(raw)}`);
    },
    toYaml: (specs) => specs.map((s) => ({ name: s.name, pattern: s.pattern, max_length: s.max_length })),
  });
}
