/**
 * `pikvm-agent edid …`: decode, check, fix and make EDID files. Pure over an injected `io`, so the
 * main CLI passes process streams and node:fs, and tests pass memory.
 *
 *   edid decode FILE       human summary and problems; exit 1 if the EDID is invalid
 *   edid check FILE        problems only; exit 0 valid, 1 invalid
 *   edid fix FILE [--out FILE] [--format hex|bin]
 *                          recompute every block checksum; writes FILE (or --out) in its own format
 *   edid make WxH[@Hz] [--name NAME] [--reduced-blanking] [--hdmi] [--format hex|bin] [--out FILE]
 *                          --hdmi adds a CTA-861 block declaring an HDMI sink (default: DVI, one block)
 * Exit codes: 0 success, 1 invalid EDID or I/O failure, 2 usage error.
 */
import { promises as fs } from 'node:fs';
import { describe, fromErrno, isAgentError } from '../../errors';
import { fixChecksums } from '../../edid/checksum';
import { makeEdid } from '../../edid/generate';
import { type EdidFileFormat, encodeEdidFile, readEdidFile } from '../../edid/hexfile';
import { parseEdid } from '../../edid/parse';
import { formatProblem } from '../../edid/problems';
import { summarizeEdid } from '../../edid/summary';
import { describeTiming } from '../../edid/timing';

export interface EdidCommandIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
}

/** The io the real CLI uses. */
export const processEdidIo: EdidCommandIo = {
  stdout: (data) => void process.stdout.write(data),
  stderr: (text) => void process.stderr.write(text),
  readFile: (path) => fs.readFile(path),
  writeFile: (path, data) => fs.writeFile(path, data),
};

export const EDID_USAGE = `usage:
  pikvm-agent edid decode FILE
  pikvm-agent edid check FILE
  pikvm-agent edid fix FILE [--out FILE] [--format hex|bin]
  pikvm-agent edid make WxH[@Hz] [--name NAME] [--reduced-blanking] [--hdmi] [--format hex|bin] [--out FILE]
FILE may be binary, hex text (v4l2-ctl, PiKVM) or an edid-decode dump.
`;

class UsageError extends Error {}

interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

const VALUE_OPTIONS = new Set(['--name', '--format', '--out']);
const FLAG_OPTIONS = new Set(['--reduced-blanking', '--hdmi']);

function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const key = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_OPTIONS.has(key)) {
      const value = eq > 0 && key !== arg ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${key} needs a value`);
      options.set(key, value);
    } else if (FLAG_OPTIONS.has(arg)) {
      options.set(arg, true);
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  return { positional, options };
}

function allowOnly(args: ParsedArgs, allowed: string[], positional: number): void {
  for (const key of args.options.keys()) if (!allowed.includes(key)) throw new UsageError(`${key} does not apply here`);
  if (args.positional.length !== positional) throw new UsageError(`expected ${positional} argument(s), got ${args.positional.length}`);
}

function formatOption(args: ParsedArgs): EdidFileFormat | undefined {
  const value = args.options.get('--format');
  if (value === undefined) return undefined;
  if (value !== 'hex' && value !== 'bin') throw new UsageError(`--format must be hex or bin, not ${String(value)}`);
  return value;
}

/** `1024x768`, `1024x768@60`, `1366x768@59.94`. */
export function parseModeSpec(spec: string): { width: number; height: number; refreshHz: number } | undefined {
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

async function decodeOrCheck(io: EdidCommandIo, args: ParsedArgs, summary: boolean): Promise<number> {
  allowOnly(args, [], 1);
  const file = await load(io, args.positional[0]!);
  if (file.error) {
    io.stderr(`${args.positional[0]}: ${file.error}\n`);
    return 1;
  }
  const parsed = parseEdid(file.bytes);
  if (summary) io.stdout(summarizeEdid(parsed));
  else for (const p of parsed.problems) io.stdout(formatProblem(p) + '\n');
  if (!summary) io.stdout(parsed.valid ? 'valid\n' : 'invalid\n');
  return parsed.valid ? 0 : 1;
}

async function fix(io: EdidCommandIo, args: ParsedArgs): Promise<number> {
  allowOnly(args, ['--out', '--format'], 1);
  const path = args.positional[0]!;
  const file = await load(io, path);
  if (file.error) {
    io.stderr(`${path}: ${file.error}\n`);
    return 1;
  }
  const { edid, fixed } = fixChecksums(file.bytes);
  for (const f of fixed) io.stderr(`block ${f.block}: checksum 0x${f.was.toString(16).padStart(2, '0')} -> 0x${f.now.toString(16).padStart(2, '0')}\n`);
  if (fixed.length === 0) io.stderr('checksums already correct\n');
  const out = args.options.get('--out');
  await save(io, typeof out === 'string' ? out : path, encodeEdidFile(edid, formatOption(args) ?? file.format));
  const parsed = parseEdid(edid);
  for (const p of parsed.problems) io.stderr(formatProblem(p) + '\n');
  return parsed.valid ? 0 : 1;
}

async function make(io: EdidCommandIo, args: ParsedArgs): Promise<number> {
  allowOnly(args, ['--name', '--reduced-blanking', '--hdmi', '--format', '--out'], 1);
  const mode = parseModeSpec(args.positional[0]!);
  if (!mode) throw new UsageError(`mode must look like 1024x768 or 1024x768@60, not ${args.positional[0]}`);
  const name = args.options.get('--name');
  const generated = makeEdid({
    ...mode,
    reducedBlanking: args.options.has('--reduced-blanking'),
    hdmi: args.options.has('--hdmi'),
    ...(typeof name === 'string' ? { name } : {}),
  });
  const out = args.options.get('--out');
  await save(io, typeof out === 'string' ? out : undefined, encodeEdidFile(generated.bytes, formatOption(args) ?? 'hex'));
  io.stderr(`${generated.source}${generated.dmtId === undefined ? '' : ` 0x${generated.dmtId.toString(16).padStart(2, '0')}`}: ${describeTiming(generated.timing)}\n`);
  return 0;
}

/** Run `edid <subcommand> …` (a leading `edid` is accepted and skipped); resolves to the exit code. */
export async function runEdidCommand(argv: string[], io: EdidCommandIo): Promise<number> {
  const rest = argv[0] === 'edid' ? argv.slice(1) : argv;
  const [sub, ...tail] = rest;
  try {
    const args = parseArgs(tail);
    switch (sub) {
      case 'decode':
        return await decodeOrCheck(io, args, true);
      case 'check':
        return await decodeOrCheck(io, args, false);
      case 'fix':
        return await fix(io, args);
      case 'make':
        return await make(io, args);
      case undefined:
      case 'help':
      case '--help':
        io.stdout(EDID_USAGE);
        return sub === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown subcommand ${sub}`);
    }
  } catch (e) {
    if (e instanceof UsageError || isAgentError(e, 'bad-argument')) {
      io.stderr(`edid: ${describe(e)}\n${EDID_USAGE}`);
      return 2;
    }
    io.stderr(`edid: ${describe(e)}\n`);
    return 1;
  }
}
