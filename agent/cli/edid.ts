/**
 * `pikvm-agent edid decode|check|fix|make …`: decode, check, fix and make EDID files (options in
 * ./commands.ts). The work is pure over an injected `EdidCommandIo`, so the command passes the
 * process streams and node:fs, and tests pass memory.
 * Exit codes: 0 success, 1 invalid EDID or I/O failure, 2 usage error.
 */
import { promises as fs } from 'node:fs';
import { fromErrno, isAgentError } from '../errors';
import { fixChecksums } from '../edid/checksum';
import { makeEdid } from '../edid/generate';
import { type EdidFileFormat, encodeEdidFile, readEdidFile } from '../edid/hexfile';
import { parseEdid } from '../edid/parse';
import { formatProblem } from '../edid/problems';
import { summarizeEdid } from '../edid/summary';
import { describeTiming } from '../edid/timing';
import { type CommandIo, type ParsedArgs, UsageError } from './command';
import { EDID_OPTIONS, findCommand } from './commands';
import { runCommand } from './dispatch';
import { commandHelp } from './help';

export interface EdidCommandIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
}

type EdidArgs = ParsedArgs<typeof EDID_OPTIONS>;

/** The subcommand's own options and one argument after it. */
function allowOnly(args: EdidArgs, allowed: (keyof typeof EDID_OPTIONS)[]): string {
  for (const key of Object.keys(args.values)) if (!allowed.includes(key as keyof typeof EDID_OPTIONS)) throw new UsageError(`--${key} does not apply here`);
  const operands = args.positionals.length - 1;
  if (operands !== 1) throw new UsageError(`expected 1 argument, got ${operands}`);
  return args.positionals[1]!;
}

function formatOption(args: EdidArgs): EdidFileFormat | undefined {
  const value = args.values.format;
  if (value === undefined) return undefined;
  if (value !== 'hex' && value !== 'bin') throw new UsageError(`--format must be hex or bin, not ${value}`);
  return value;
}

/** `1024x768`, `1024x768@60`, `1366x768@59.94`. */
function parseModeSpec(spec: string): { width: number; height: number; refreshHz: number } | undefined {
  const m = /^(\d{1,5})x(\d{1,5})(?:@(\d{1,3}(?:\.\d{1,3})?))?$/i.exec(spec);
  if (!m) return undefined;
  return { width: Number(m[1]), height: Number(m[2]), refreshHz: m[3] === undefined ? 60 : Number(m[3]) };
}

async function load(io: EdidCommandIo, path: string) {
  let data: Uint8Array;
  try {
    data = await io.readFile(path);
  } catch (e) {
    throw fromErrno(e, `read ${path}`);
  }
  return readEdidFile(data);
}

async function save(io: EdidCommandIo, path: string | undefined, data: string | Uint8Array): Promise<void> {
  if (path === undefined) return io.stdout(data);
  try {
    await io.writeFile(path, data);
  } catch (e) {
    throw fromErrno(e, `write ${path}`);
  }
}

async function decodeOrCheck(io: EdidCommandIo, args: EdidArgs, summary: boolean): Promise<number> {
  const path = allowOnly(args, []);
  const file = await load(io, path);
  if (file.error) {
    io.stderr(`${path}: ${file.error}\n`);
    return 1;
  }
  const parsed = parseEdid(file.bytes);
  if (summary) io.stdout(summarizeEdid(parsed));
  else for (const p of parsed.problems) io.stdout(formatProblem(p) + '\n');
  if (!summary) io.stdout(parsed.valid ? 'valid\n' : 'invalid\n');
  return parsed.valid ? 0 : 1;
}

async function fix(io: EdidCommandIo, args: EdidArgs): Promise<number> {
  const path = allowOnly(args, ['out', 'format']);
  const file = await load(io, path);
  if (file.error) {
    io.stderr(`${path}: ${file.error}\n`);
    return 1;
  }
  const { edid, fixed } = fixChecksums(file.bytes);
  for (const f of fixed) io.stderr(`block ${f.block}: checksum 0x${f.was.toString(16).padStart(2, '0')} -> 0x${f.now.toString(16).padStart(2, '0')}\n`);
  if (fixed.length === 0) io.stderr('checksums already correct\n');
  await save(io, args.values.out ?? path, encodeEdidFile(edid, formatOption(args) ?? file.format));
  const parsed = parseEdid(edid);
  for (const p of parsed.problems) io.stderr(formatProblem(p) + '\n');
  return parsed.valid ? 0 : 1;
}

async function make(io: EdidCommandIo, args: EdidArgs): Promise<number> {
  const spec = allowOnly(args, ['name', 'reduced-blanking', 'hdmi', 'format', 'out']);
  const mode = parseModeSpec(spec);
  if (!mode) throw new UsageError(`mode must look like 1024x768 or 1024x768@60, not ${spec}`);
  const name = args.values.name;
  const generated = makeEdid({
    ...mode,
    reducedBlanking: args.values['reduced-blanking'] ?? false,
    hdmi: args.values.hdmi ?? false,
    ...(name !== undefined ? { name } : {}),
  });
  await save(io, args.values.out, encodeEdidFile(generated.bytes, formatOption(args) ?? 'hex'));
  io.stderr(`${generated.source}${generated.dmtId === undefined ? '' : ` 0x${generated.dmtId.toString(16).padStart(2, '0')}`}: ${describeTiming(generated.timing)}\n`);
  return 0;
}

async function runEdid(args: EdidArgs, io: EdidCommandIo): Promise<number> {
  const sub = args.positionals[0];
  try {
    switch (sub) {
      case 'decode':
        return await decodeOrCheck(io, args, true);
      case 'check':
        return await decodeOrCheck(io, args, false);
      case 'fix':
        return await fix(io, args);
      case 'make':
        return await make(io, args);
      case 'help':
        io.stdout(commandHelp(findCommand('edid')!));
        return 0;
      case undefined:
        throw new UsageError('edid needs a subcommand: decode, check, fix or make');
      default:
        throw new UsageError(`unknown subcommand ${sub}`);
    }
  } catch (e) {
    // a value the EDID rules refuse (a mode no timing fits, a name too long) is the caller's mistake
    throw isAgentError(e, 'bad-argument') ? new UsageError(e.message) : e;
  }
}

/** The command in the table: process streams and node:fs. */
export function edidCommand(args: EdidArgs, io: CommandIo): Promise<number> {
  return runEdid(args, {
    stdout: (data) => void io.stdout.write(data),
    stderr: (text) => void io.stderr.write(text),
    readFile: (path) => fs.readFile(path),
    writeFile: (path, data) => fs.writeFile(path, data),
  });
}

/** `edid ARGS…` (a leading `edid` is skipped) over an injected io, as the CLI runs it; → the exit code. */
export function runEdidCommand(argv: string[], io: EdidCommandIo): Promise<number> {
  const rest = argv[0] === 'edid' ? argv.slice(1) : argv;
  const commandIo = { stdout: { write: io.stdout }, stderr: { write: (text: string | Uint8Array) => io.stderr(String(text)) } };
  return runCommand(findCommand('edid')!, rest, commandIo, async () => (args) => runEdid(args as EdidArgs, io));
}
