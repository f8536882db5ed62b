/**
 * What a command of the `pikvm-agent` table is (agent/cli/commands.ts) and how its argv becomes
 * typed values: node:util `parseArgs` over the options the table declares, so the table is the one
 * place a flag is named, parsed and documented.
 */
import { parseArgs } from 'node:util';
import { closest } from '../edit-distance';

/** A wrong invocation: exit 2 with the command's usage line. The one usage error of the CLI. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes (README "Commands"); 78 is EX_CONFIG of sysexits.h, which the unit does not restart. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

/** Every message of the CLI starts with this. */
export const PREFIX = 'pikvm-agent: ';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: true;
  readonly short?: string;
  /** what the value is, for the help (`FILE`, `WxH`, `on|off`) */
  readonly value?: string;
  readonly help: string;
}
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The values `parseArgs` gives for these options. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K] extends { multiple: true } ? string[] : string;
};

export interface ParsedArgs<O extends OptionSpecs> {
  values: OptionValues<O>;
  positionals: string[];
}

export interface Writer {
  write(chunk: string | Uint8Array): unknown;
}

/** Where a command reads and writes: the process's streams, or a test's. */
export interface CommandIo {
  /** only `input` reads it; absent, it is the process's */
  stdin?: NodeJS.ReadableStream;
  stdout: Writer;
  stderr: Writer;
}

export type CommandRun<O extends OptionSpecs> = (args: ParsedArgs<O>, io: CommandIo) => Promise<number>;

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  /** heading it is listed under in `pikvm-agent --help` */
  readonly group: string;
  /** one line for the command list */
  readonly summary: string;
  /** positional synopsis after the options (`COMMAND [ARGS…]`); '' for none */
  readonly args: string;
  readonly options: O;
  /** more text for `pikvm-agent help NAME` */
  readonly details?: string;
  /**
   * How argv is read: `options` (default) parseArgs over all of it; `leading` options only before
   * the first positional, the rest verbatim (`ctl storage attach --lun 1 F` passes `--lun` on);
   * `raw` argv untouched (the shims, which os-autoinst calls like ffmpeg and v4l2-ctl: their exact
   * argument shapes are checked by hand) — only a lone `--help` or `-h` is taken as help.
   */
  readonly argv?: 'options' | 'leading' | 'raw';
  /** the command's module, imported when the command runs */
  readonly load: () => Promise<CommandRun<O>>;
}

/** A table entry; the generic ties the loaded run's arguments to the declared options. */
export function command<O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec {
  return spec as unknown as CommandSpec;
}

export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** `--name VALUE`, or `-n, --name VALUE` with a short form. */
export function optionLabel(name: string, o: OptionSpec): string {
  const long = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : long;
}

/** `usage: pikvm-agent NAME [--a X] [--b] ARGS`, or `[OPTIONS]` when the options would not fit one line. */
export function usageLine(spec: CommandSpec): string {
  const line = (options: string[]) => ['usage: pikvm-agent', spec.name, ...options, spec.args].filter((s) => s !== '').join(' ');
  const options = Object.entries(spec.options).map(([name, o]) => `[${optionLabel(name, o).replace(/^-., /, '')}]${o.multiple ? '…' : ''}`);
  const full = line(options);
  return full.length <= 100 || spec.argv === 'raw' ? full : line(['[OPTIONS]']);
}

/** Node's parseArgs messages are long and suggest `--` tricks; ours name the flag and a near one. */
function usageFromParseError(spec: CommandSpec, e: Error & { code?: string }): UsageError {
  const flag = /'(-[^']*)'/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = (flag ?? '').replace(/^--?/, '').replace(/=.*/, '');
      const near = closest(name, Object.keys(spec.options));
      return new UsageError(`unknown option ${flag}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(/argument missing/.test(e.message) ? `${flag?.replace(/ .*/, '')} needs a value` : `${flag?.replace(/ .*/, '')} takes no value`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument ${e.message.match(/'([^']*)'/)?.[1] ?? ''}`);
    default:
      return new UsageError(e.message);
  }
}

/** Split `leading` argv: options up to the first positional (or `--`), then the rest verbatim. */
function splitLeading(spec: CommandSpec, argv: readonly string[]): [string[], string[]] {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [argv.slice(0, i), argv.slice(i + 1)];
    if (!arg.startsWith('-') || arg === '-') return [argv.slice(0, i), argv.slice(i)];
    if (spec.options[arg.slice(2)]?.type === 'string') i++; // `--opt VALUE`
  }
  return [[...argv], []];
}

/** argv → the declared options (plus --help); a bad flag is a UsageError. */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs<OptionSpecs> & { help: boolean } {
  if (spec.argv === 'raw') {
    const help = argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h');
    return { values: {}, positionals: [...argv], help };
  }
  const [head, tail] = spec.argv === 'leading' ? splitLeading(spec, argv) : [[...argv], []];
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, o]) => [name, { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: head, options, strict: true, allowPositionals: spec.args !== '' });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw usageFromParseError(spec, e as Error);
    throw e;
  }
  const { help, ...values } = parsed.values as Record<string, unknown>;
  return { values: values as OptionValues<OptionSpecs>, positionals: [...parsed.positionals, ...tail], help: help === true };
}
