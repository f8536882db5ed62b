/**
 * The small schema language of the configuration: value types that parse text (environment
 * variables, command-line overrides, YAML scalars as written) and YAML lists/mappings into typed
 * values, and print them back. A schema entry is one line: `int(16, 8192).default(1024)`.
 *
 * YAML scalars are parsed from their source text rather than from YAML's own typing, so that
 * `serial: 0123` stays "0123", `inquiry_revision: 1.10` stays "1.10" and `mode: 0660` is octal
 * (YAML 1.2 would read 0660 as decimal 660).
 */
import { isAbsolute } from 'node:path';
import { Scalar } from 'yaml';
import { ValueError } from './errors';

/** A YAML value as read from a file: scalar source text, null (`~`), a list, or a mapping. */
export type RawValue = string | null | RawValue[] | RawMap;
export class RawMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, RawValue]>) {}
}

export interface ValueType<T> {
  /** What a valid value looks like, for error messages: "an integer 16..8192". */
  readonly expected: string;
  /** Mappings merge entry by entry across sources; everything else (lists too) is replaced. */
  readonly mergeEntries: boolean;
  fromText(text: string): T;
  fromRaw(raw: RawValue): T;
  /** A value the YAML printer emits so that `fromRaw` reads it back unchanged. */
  toYaml(value: T): unknown;
  default(value: T): Field<T>;
  /** Default computed from another (non-derived) key when this one is not set anywhere. */
  derive(fromKey: string, compute: (value: unknown) => T): Field<T>;
}

export type Initial<T> = { readonly value: T } | { readonly fromKey: string; readonly compute: (value: unknown) => T };

export interface Field<T> {
  readonly kind: 'field';
  readonly type: ValueType<T>;
  readonly initial: Initial<T>;
}

/** Describes an offending raw value for "expected X, got Y". */
export function describeRaw(raw: RawValue): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'a list';
  if (raw instanceof RawMap) return 'a mapping';
  return JSON.stringify(raw);
}

export interface Spec<T> {
  expected: string;
  fromText(text: string): T;
  fromRaw?(raw: RawValue): T;
  toYaml?(value: T): unknown;
  mergeEntries?: boolean;
}

/** A value type from its parsers (the building block of every type below). */
export function valueType<T>(spec: Spec<T>): ValueType<T> {
  const type: ValueType<T> = {
    expected: spec.expected,
    mergeEntries: spec.mergeEntries ?? false,
    fromText: spec.fromText,
    fromRaw:
      spec.fromRaw ??
      ((raw) => {
        if (typeof raw !== 'string') throw new ValueError(`expected ${spec.expected}, got ${describeRaw(raw)}`);
        return spec.fromText(raw);
      }),
    toYaml: spec.toYaml ?? ((value) => value),
    default: (value) => ({ kind: 'field', type, initial: { value } }),
    derive: (fromKey, compute) => ({ kind: 'field', type, initial: { fromKey, compute } }),
  };
  return type;
}

function reject(expected: string, text: string): never {
  throw new ValueError(`expected ${expected}, got ${JSON.stringify(text)}`);
}

/** Integers in decimal or 0x hex; `hex` prints them back in hex (USB IDs read better so). */
export function int(min: number, max: number, opts: { hex?: boolean } = {}): ValueType<number> {
  const expected = `an integer ${min}..${max}`;
  return valueType({
    expected,
    fromText(text) {
      const t = text.trim();
      if (!/^(?:\+?[0-9]+|-[0-9]+|0[xX][0-9a-fA-F]+)$/.test(t)) reject(expected, text);
      const n = Number(t);
      if (!Number.isSafeInteger(n) || n < min || n > max) reject(expected, text);
      return n;
    },
    toYaml: (n) => (opts.hex ? Object.assign(new Scalar(n), { format: 'HEX' }) : n),
  });
}

/** A 16-bit unsigned field of a USB descriptor (idVendor, idProduct, bcdDevice, bcdUSB). */
export const u16 = () => int(0, 0xffff, { hex: true });

/**
 * Permission bits, always octal as with chmod: `0660`, `660` and `0o660` are the same mode.
 * Printed as `0o660`, which YAML 1.2 and this parser both read as octal.
 */
export function mode(): ValueType<number> {
  const expected = 'an octal file mode 0..0777 (e.g. 0660)';
  return valueType({
    expected,
    fromText(text) {
      const m = /^(?:0[oO])?([0-7]{1,4})$/.exec(text.trim());
      const n = m ? parseInt(m[1]!, 8) : NaN;
      if (!(n >= 0 && n <= 0o777)) reject(expected, text);
      return n;
    },
    toYaml: (n) => Object.assign(new Scalar(n), { format: 'OCT' }),
  });
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);
export function bool(): ValueType<boolean> {
  const expected = 'a boolean (true/false, 1/0, yes/no)';
  return valueType({
    expected,
    fromText(text) {
      const t = text.trim().toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      return reject(expected, text);
    },
  });
}

interface StrOptions {
  /** Minimum length (default 0: '' allowed). */
  min?: number;
  /** Only printable ASCII (SCSI INQUIRY fields). */
  ascii?: boolean;
  /** Allowed shape, with its description for messages. */
  pattern?: RegExp;
  shape?: string;
}

/** A single-line string of at most `max` characters. */
export function str(max: number, opts: StrOptions = {}): ValueType<string> {
  const min = opts.min ?? 0;
  const what = opts.shape ?? (opts.ascii ? 'printable ASCII' : 'a string');
  const expected = `${what} of ${min > 0 ? `${min}..` : 'at most '}${max} characters`;
  return valueType({
    expected,
    fromText(text) {
      const chars = [...text].length;
      const badChars = opts.ascii ? /[^\x20-\x7e]/ : /[\x00-\x1f\x7f]/;
      if (chars < min || chars > max || badChars.test(text)) reject(expected, text);
      if (opts.pattern && !opts.pattern.test(text)) reject(expected, text);
      return text;
    },
  });
}

/** One of a fixed set of words. */
export function oneOf<const V extends readonly string[]>(values: V): ValueType<V[number]> {
  const expected = `one of ${values.join('|')}`;
  return valueType({
    expected,
    fromText(text) {
      const t = text.trim();
      return (values as readonly string[]).includes(t) ? (t as V[number]) : reject(expected, text);
    },
  });
}

/** An absolute path (a daemon has no meaningful working directory); `optional` allows '' = off. */
export function path(opts: { optional?: boolean } = {}): ValueType<string> {
  const expected = opts.optional ? "an absolute path or '' (disabled)" : 'an absolute path';
  return valueType({
    expected,
    fromText(text) {
      if (text === '' && opts.optional) return '';
      if (!isAbsolute(text) || text.includes('\0') || /[\n\r]/.test(text)) reject(expected, text);
      return text;
    },
  });
}

/** The host and port of a `listen()` value (`[v6]:port` without its brackets). */
export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/** A TCP listen address `host:port` (`[v6]:port` for IPv6), or '' to disable. */
export function listen(): ValueType<string> {
  const expected = "host:port (e.g. 127.0.0.1:8780, [::1]:8780) or '' (disabled)";
  return valueType({
    expected,
    fromText(text) {
      if (text === '') return '';
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(text);
      const port = m ? Number(m[2]) : 0;
      if (port < 1 || port > 65535) reject(expected, text);
      return text;
    },
  });
}

/** A list; from text it is comma-separated (`a,b`), from YAML a sequence or a single scalar. */
export function list<T>(item: ValueType<T>): ValueType<readonly T[]> {
  const parseItems = (raws: readonly RawValue[]) =>
    raws.map((raw, i) => {
      try {
        return item.fromRaw(raw);
      } catch (e) {
        throw e instanceof ValueError ? new ValueError(e.message, `[${i}]${e.subPath}`) : e;
      }
    });
  const fromText = (text: string) =>
    parseItems(
      text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  return valueType({
    expected: `a list of ${item.expected}`,
    fromText,
    fromRaw(raw) {
      if (Array.isArray(raw)) return parseItems(raw);
      if (typeof raw === 'string') return fromText(raw);
      throw new ValueError(`expected a list of ${item.expected}, got ${describeRaw(raw)}`);
    },
    toYaml: (values) => values.map((v) => item.toYaml(v)),
  });
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * A name → string mapping (template variables). From YAML a mapping, from text `a=1,b=2`; merged
 * entry by entry across sources, so a drop-in adds variables without repeating the others.
 */
export function stringMap(value: ValueType<string>): ValueType<Readonly<Record<string, string>>> {
  const entry = (name: string, raw: RawValue): [string, string] => {
    if (!NAME.test(name)) throw new ValueError(`expected a name of letters, digits and _, got ${JSON.stringify(name)}`, `.${name}`);
    try {
      return [name, value.fromRaw(raw)];
    } catch (e) {
      throw e instanceof ValueError ? new ValueError(e.message, `.${name}${e.subPath}`) : e;
    }
  };
  const expected = `a mapping of names to ${value.expected}`;
  return valueType({
    expected,
    mergeEntries: true,
    fromText(text) {
      const pairs = text.split(',').filter((s) => s.trim() !== '');
      return Object.fromEntries(
        pairs.map((pair) => {
          const eq = pair.indexOf('=');
          if (eq < 0) throw new ValueError(`expected name=value[,name=value…], got ${JSON.stringify(text)}`);
          return entry(pair.slice(0, eq).trim(), pair.slice(eq + 1));
        }),
      );
    },
    fromRaw(raw) {
      if (raw === '') return {};
      if (!(raw instanceof RawMap)) throw new ValueError(`expected ${expected}, got ${describeRaw(raw)}`);
      return Object.fromEntries(raw.entries.map(([name, v]) => entry(name, v)));
    },
    toYaml: (map) => ({ ...map }),
  });
}
