/**
 * `pikvm-agent v4l2-ctl …`: stands in for v4l2-ctl on the PiKVM when upstream os-autoinst runs its
 * DV-timings and EDID calls through `GENERAL_HW_VIDEO_CMD_PREFIX` (backend/generalhw.pm). It sends
 *
 *   v4l2-ctl --device /dev/videoN --concise ARGS        (ARGS split on spaces)
 *
 * with ARGS one of `--get-dv-timings`, `--query-dv-timings`, `--set-dv-bt-timings query`,
 * `--set-edid file=F` / `--set-edid type=hdmi`; it reads the first 50 bytes of stdout (header
 * `DV timings:` and whitespace stripped) and treats exit 0 as success (`0x0pnan` = no signal).
 * The daemon owns the device, so the shim asks it over the control socket (`video timings|query|
 * apply|edid`) and prints what real v4l2-ctl prints for the same kernel answer — stdout text and
 * exit status (see ./v4l2ctl-format.ts for the v4l-utils sources):
 *
 * | call | success | failure |
 * |---|---|---|
 * | `--get-dv-timings` | `DV timings:\n\tWxHpR.RR \n`, 0 | `VIDIOC_G_DV_TIMINGS: failed: …`, 255 |
 * | `--query-dv-timings` | `\tWxHpR.RR \n`, 0 | `VIDIOC_QUERY_DV_TIMINGS: failed: Link has been severed\n\t0x0pnan \n`, 255 |
 * | `--set-dv-bt-timings query` | `BT timings set\n`, 0 | query failure line, then S_DV_TIMINGS of the zeroed struct fails too, 255 |
 * | `--set-edid …` | nothing, 0 | `Failed to open F: …` on stderr, 1; `VIDIOC_S_EDID: failed: …`, 255 |
 *
 * When the daemon knows no timings yet (`video timings` → `{"state":"no-signal"}` without
 * timings), `--get-dv-timings` prints the zeroed struct (`\t0x0pnan \n`), which is what real
 * v4l2-ctl prints on a receiver that never locked, and what os-autoinst reads as "no signal".
 *
 * Deliberate mappings, documented for the reader:
 * - `--set-edid type=hdmi` loads v4l2-ctl's built-in 1080p HDMI EDID; ours loads the agent's
 *   configured EDID (`video edid default`, 1024×768 unless configured otherwise), because a
 *   1024×768 preferred mode is the point of the agent (openQA needles are 1024×768).
 * - `--set-edid file=F` passes F (made absolute against the shim's working directory: the daemon's
 *   differs) to the daemon, which reads it on the same PiKVM. Like v4l2-ctl, an EDID with checksum
 *   errors is reported on stderr (`EDID not set due to checksum errors`) with exit status 0.
 * - After a failed query, real v4l2-ctl passes the zeroed struct to VIDIOC_S_DV_TIMINGS; the driver
 *   decides the errno. TC358743 (the PiKVM's receiver) answers ERANGE (drivers/media/i2c/
 *   tc358743.c `tc358743_s_dv_timings`: `v4l2_valid_dv_timings` fails), vivid EINVAL. We print the
 *   one the daemon reports if it names one, else ERANGE.
 * - Daemon unreachable or no capture device: like v4l2-ctl on a device it cannot open,
 *   `Cannot open device D, exiting.` on stderr, exit 1 (after a line saying why).
 * - Any other argument shape: a usage error naming the supported shapes, exit 2.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { SYSTEM_PATHS } from '../platform/paths';
import { request } from './client';
import { type CommandIo, type ParsedArgs, PREFIX, UsageError } from './command';
import { clientSocket } from './config-args';
import { type ErrorReply, type DaemonReply, errnoOfError, errnoOfState, parseReply } from './v4l2ctl-reply';
import {
  V4L2CTL_EXIT_FAILURE,
  V4L2CTL_IOCTL_FAILED,
  ZERO_TIMINGS,
  formatConciseTimings,
  formatGetDvTimings,
  ioctlFailedLine,
  strerror,
} from './v4l2ctl-format';

export type V4l2CtlAction =
  | { kind: 'get-dv-timings' }
  | { kind: 'query-dv-timings' }
  | { kind: 'apply-queried-timings' }
  | { kind: 'set-edid'; file: string | null };

export interface V4l2CtlShimArgs {
  device: string;
  action: V4l2CtlAction;
}

interface TextSink {
  write(text: string): unknown;
}

export interface V4l2CtlShimIo {
  /** one control-socket request → its one reply line (./client.ts `request`) */
  request: (line: string) => Promise<string>;
  stdout: TextSink;
  stderr: TextSink;
  /** to mimic v4l2-ctl's own "Failed to open F" / "empty EDID" checks before asking the daemon */
  readFile?: (file: string) => Promise<Buffer>;
  /** the shim's working directory, to make `file=F` absolute (default `process.cwd()`) */
  cwd?: string;
  /** device directory, to recognise `--device <devRoot>/…` */
  devRoot?: string;
  /** CPU architecture whose printf we imitate (NaN spelling); default `process.arch` */
  arch?: string;
}

export const SUPPORTED_SHAPES = [
  'v4l2-ctl --device /dev/videoN --concise --get-dv-timings',
  'v4l2-ctl --device /dev/videoN --concise --query-dv-timings',
  'v4l2-ctl --device /dev/videoN --concise --set-dv-bt-timings query',
  'v4l2-ctl --device /dev/videoN --concise --set-edid file=FILE',
  'v4l2-ctl --device /dev/videoN --concise --set-edid type=hdmi',
] as const;

/** Parse the argument shapes os-autoinst sends (also `--device=D`, `-d D`, `--opt=value`). */
export function parseV4l2CtlShimArgs(argv: readonly string[], devRoot = SYSTEM_PATHS.devRoot): V4l2CtlShimArgs {
  const args = argv[0] === 'v4l2-ctl' ? argv.slice(1) : [...argv];
  const fail = (why: string): never => {
    throw new UsageError(
      `unsupported v4l2-ctl arguments (${why}): ${JSON.stringify(args.join(' '))}; supported:\n${SUPPORTED_SHAPES.map((s) => `  ${s}`).join('\n')}`,
    );
  };
  let device: string | undefined;
  let concise = false;
  let action: V4l2CtlAction | undefined;
  const setAction = (a: V4l2CtlAction) => {
    if (action) fail('more than one action');
    action = a;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined) fail(`${name} needs a value`);
      return next!;
    };
    switch (name) {
      case '--device':
      case '-d':
        if (device !== undefined) fail('--device given twice');
        device = value();
        break;
      case '--concise':
        if (inline !== undefined) fail('--concise takes no value');
        concise = true;
        break;
      case '--get-dv-timings':
      case '--query-dv-timings':
        if (inline !== undefined) fail(`${name} takes no value`);
        setAction({ kind: name === '--get-dv-timings' ? 'get-dv-timings' : 'query-dv-timings' });
        break;
      case '--set-dv-bt-timings':
        if (value() !== 'query') fail('--set-dv-bt-timings supports only "query"');
        setAction({ kind: 'apply-queried-timings' });
        break;
      case '--set-edid': {
        const edid = value();
        if (edid === 'type=hdmi') setAction({ kind: 'set-edid', file: null });
        else if (edid.startsWith('file=') && edid.length > 5 && !/[\s,]/.test(edid.slice(5))) setAction({ kind: 'set-edid', file: edid.slice(5) });
        else fail('--set-edid supports only file=FILE (no spaces or commas) or type=hdmi');
        break;
      }
      default:
        fail(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (device === undefined) fail('--device is required');
  const root = devRoot.endsWith('/') ? devRoot : `${devRoot}/`;
  if (!device!.startsWith(root) || device!.length === root.length || device!.slice(root.length).includes('/')) fail(`the device must be a node in ${root}`);
  if (!concise) fail('--concise is required (only the concise format is produced)');
  if (!action) fail('no action');
  return { device: device!, action: action! };
}

/** Run the shim; resolves with the process exit code. */
export async function runV4l2CtlShim(argv: readonly string[], io: V4l2CtlShimIo): Promise<number> {
  let args: V4l2CtlShimArgs;
  try {
    args = parseV4l2CtlShimArgs(argv, io.devRoot);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${PREFIX}${e.message}\n`);
    return 2;
  }
  const arch = io.arch ?? process.arch;
  const action = args.action;
  const cannotOpen = (why: string): number => {
    io.stderr.write(`${PREFIX}${why}\nCannot open device ${args.device}, exiting.\n`);
    return V4L2CTL_EXIT_FAILURE;
  };

  let file: string | null = null;
  if (action.kind === 'set-edid' && action.file !== null) {
    file = path.resolve(io.cwd ?? process.cwd(), action.file);
    const early = await checkEdidFile(action.file, file, io);
    if (early !== undefined) return early;
  }

  const line = {
    'get-dv-timings': 'video timings',
    'query-dv-timings': 'video query',
    'apply-queried-timings': 'video apply',
    'set-edid': `video edid ${file ?? 'default'}`,
  }[action.kind];
  let reply: DaemonReply;
  try {
    reply = parseReply(await io.request(line));
  } catch (e) {
    return cannotOpen(`cannot ask the agent daemon: ${(e as Error).message}`);
  }
  if (reply.kind === 'error' && reply.code === 'no-device') return cannotOpen(`the agent has no capture device (${reply.message})`);
  if (reply.kind === 'ok' && reply.state === 'no-device') return cannotOpen('the agent has no capture device');

  switch (action.kind) {
    case 'get-dv-timings':
      if (reply.kind === 'error') return ioctlFailure(io, 'VIDIOC_G_DV_TIMINGS', errnoOfError(reply));
      io.stdout.write(formatGetDvTimings(reply.timings ?? ZERO_TIMINGS, arch));
      return 0;
    case 'query-dv-timings': {
      if (reply.kind === 'ok' && reply.state === 'online' && reply.timings) {
        io.stdout.write(formatConciseTimings(reply.timings, arch));
        return 0;
      }
      // doioctl prints the failure, then print_dv_timings prints the untouched (zeroed) struct
      const errno = reply.kind === 'error' ? errnoOfError(reply) : errnoOfState(reply.state);
      io.stdout.write(ioctlFailedLine('VIDIOC_QUERY_DV_TIMINGS', errno) + formatConciseTimings(ZERO_TIMINGS, arch));
      return V4L2CTL_IOCTL_FAILED;
    }
    case 'apply-queried-timings': {
      if (reply.kind === 'ok' && (reply.state === undefined || reply.state === 'online')) {
        io.stdout.write('BT timings set\n');
        return 0;
      }
      if (reply.kind === 'error' && /S_DV_TIMINGS/.test(reply.message) && !/QUERY_DV_TIMINGS/.test(reply.message)) {
        return ioctlFailure(io, 'VIDIOC_S_DV_TIMINGS', errnoOfError(reply));
      }
      // the query's errno is named before any S_DV_TIMINGS part of the message
      const queryErrno = reply.kind === 'error' ? errnoOfError({ ...reply, message: reply.message.split(/VIDIOC_S_DV_TIMINGS/)[0]! }) : errnoOfState(reply.state);
      const setErrno = reply.kind === 'error' ? (/S_DV_TIMINGS[^A-Z]*(E[A-Z0-9]+)/.exec(reply.message)?.[1] ?? 'ERANGE') : 'ERANGE';
      io.stdout.write(ioctlFailedLine('VIDIOC_QUERY_DV_TIMINGS', queryErrno) + ioctlFailedLine('VIDIOC_S_DV_TIMINGS', setErrno));
      return V4L2CTL_IOCTL_FAILED;
    }
    case 'set-edid':
      if (reply.kind === 'ok') return 0;
      return edidFailure(io, action.file, reply);
  }
}

/** v4l2-ctl opens and reads the file itself before VIDIOC_S_EDID (v4l2-ctl-edid.cpp `edid_set`). */
async function checkEdidFile(given: string, absolute: string, io: V4l2CtlShimIo): Promise<number | undefined> {
  if (!io.readFile) return undefined;
  let bytes: Buffer;
  try {
    bytes = await io.readFile(absolute);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    io.stderr.write(`Failed to open ${given}: ${strerror(errno === 'EISDIR' ? 'EIO' : errno)}\n`);
    return V4L2CTL_EXIT_FAILURE;
  }
  if (bytes.toString('latin1').trim() === '') {
    io.stderr.write(`${given} contained an empty EDID, ignoring.\n`);
    return V4L2CTL_EXIT_FAILURE;
  }
  return undefined;
}

function edidFailure(io: V4l2CtlShimIo, file: string | null, reply: ErrorReply): number {
  if (file !== null && (reply.code === 'not-found' || reply.code === 'forbidden')) {
    io.stderr.write(`Failed to open ${file}: ${strerror(reply.code === 'not-found' ? 'ENOENT' : 'EACCES')}\n`);
    return V4L2CTL_EXIT_FAILURE;
  }
  if (reply.code === 'bad-argument' && /checksum/i.test(reply.message)) {
    // v4l2-ctl-edid.cpp: `verify_edid()` fails → message on stderr, no ioctl, app_result untouched
    io.stderr.write('EDID not set due to checksum errors\n');
    return 0;
  }
  return ioctlFailure(io, 'VIDIOC_S_EDID', errnoOfError(reply));
}

function ioctlFailure(io: V4l2CtlShimIo, ioctl: string, errno: string): number {
  io.stdout.write(ioctlFailedLine(ioctl, errno));
  return V4L2CTL_IOCTL_FAILED;
}

/** `pikvm-agent v4l2-ctl …` over the configured control socket. */
export async function v4l2CtlCommand(args: ParsedArgs<Record<never, never>>, io: CommandIo): Promise<number> {
  const socket = await clientSocket();
  return runV4l2CtlShim(args.positionals, { request: (line) => request(socket, line), stdout: io.stdout, stderr: io.stderr, readFile });
}
