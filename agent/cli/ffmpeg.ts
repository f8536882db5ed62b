/**
 * `pikvm-agent ffmpeg …`: stands in for ffmpeg on the PiKVM when upstream os-autoinst runs its
 * video command through `GENERAL_HW_VIDEO_CMD_PREFIX` (e.g. `ssh root@pikvm`). The PiKVM then
 * receives exactly
 *
 *   ffmpeg -loglevel fatal -i /dev/video0 -vcodec ppm -f rawvideo -r 4 -
 *
 * (os-autoinst consoles/video_stream.pm `_get_ffmpeg_cmd`; FPS from `?fps=` upstream, 2 in
 * Debian 12). Instead of opening the device (the daemon owns it), the shim fetches
 * `/stream.ppm?fps=N` from the daemon and copies the PPM frames to stdout — already in the
 * header form os-autoinst parses. It exits promptly when stdout closes (EPIPE: os-autoinst
 * killed the reader) or on SIGTERM (os-autoinst's restart after a stall), which `ffmpegCommand`
 * turns into `signal`.
 *
 * `pikvm-agent ffmpeg --size WxH …` (our option, before os-autoinst's words; the worker kit's
 * `pikvm-remote` adds it) asks for frames at the job's screen size (`/stream.ppm?size=WxH`,
 * agent/video/frame-scaler.ts).
 *
 * Exit codes: 0 stopped on request (signal, closed stdout); 1 daemon unreachable or stream
 * ended; 2 unsupported arguments.
 */
import http from 'node:http';
import { isAgentError } from '../errors';
import { SYSTEM_PATHS } from '../platform/paths';
import { type FrameSize, parseFrameSize } from '../video/frame-scaler';
import { type CommandIo, type ParsedArgs, PREFIX, UsageError, type Writer } from './command';
import { clientHttpEndpoint } from './config-args';

export type DaemonEndpoint = { socketPath: string } | { host: string; port: number };

export interface FfmpegShimIo {
  connect: DaemonEndpoint;
  stdout: NodeJS.WritableStream;
  stderr: Writer;
  /** aborted on SIGTERM/SIGINT by the caller */
  signal?: AbortSignal;
  /** device directory, to recognise `-i <devRoot>/videoN` */
  devRoot?: string;
  maxFps?: number;
}

export interface FfmpegShimArgs {
  device: string;
  fps: number;
  /** frames larger than this are scaled to it (`--size WxH`) */
  size?: FrameSize;
}

const LOG_LEVELS = new Set(['quiet', 'panic', 'fatal', 'error', 'warning', 'info', 'verbose', 'debug', 'trace']);
export const SUPPORTED_SHAPE = 'ffmpeg [--size WxH] -loglevel LEVEL -i /dev/videoN -vcodec ppm -f rawvideo -r FPS -';

/** Parse exactly os-autoinst's argument shape; anything else is a usage error naming it. */
export function parseFfmpegShimArgs(argv: readonly string[], devRoot = SYSTEM_PATHS.devRoot, maxFps = 30): FfmpegShimArgs {
  let args = argv[0] === 'ffmpeg' ? argv.slice(1) : [...argv];
  const fail = (why: string): never => {
    throw new UsageError(`unsupported ffmpeg arguments (${why}): ${JSON.stringify(args.join(' '))}; only "${SUPPORTED_SHAPE}" is supported`);
  };
  let size: FrameSize | undefined;
  if (args[0] === '--size') {
    try {
      size = parseFrameSize(args[1] ?? '', '--size');
    } catch (e) {
      if (!isAgentError(e)) throw e;
      fail(e.message);
    }
    args = args.slice(2);
  }
  const expectFlag = (i: number, flag: string, value?: string) => {
    if (args[i] !== flag) fail(`expected ${flag} at position ${i + 1}`);
    if (value !== undefined && args[i + 1] !== value) fail(`${flag} must be ${value}`);
  };
  if (args.length !== 11) fail(`expected 11 arguments, got ${args.length}`);
  expectFlag(0, '-loglevel');
  if (!LOG_LEVELS.has(args[1]!)) fail(`unknown log level ${args[1]}`);
  expectFlag(2, '-i');
  const device = args[3]!;
  const root = devRoot.endsWith('/') ? devRoot : `${devRoot}/`;
  if (!device.startsWith(root) || !/^video[0-9]+$/.test(device.slice(root.length))) fail(`input must be ${root}videoN`);
  expectFlag(4, '-vcodec', 'ppm');
  expectFlag(6, '-f', 'rawvideo');
  expectFlag(8, '-r');
  const rate = args[9]!;
  if (!/^[0-9]+$/.test(rate) || Number(rate) < 1 || Number(rate) > maxFps) fail(`-r must be an integer from 1 to ${maxFps}`);
  if (args[10] !== '-') fail('output must be - (stdout)');
  return { device, fps: Number(rate), ...(size ? { size } : {}) };
}

/** Run the shim; resolves with the process exit code. */
export async function runFfmpegShim(argv: readonly string[], io: FfmpegShimIo): Promise<number> {
  let parsed: FfmpegShimArgs;
  try {
    parsed = parseFfmpegShimArgs(argv, io.devRoot, io.maxFps);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${PREFIX}${e.message}\n`);
    return 2;
  }
  if (io.signal?.aborted) return 0;

  return new Promise<number>((resolve) => {
    let settled = false;
    const path = `/stream.ppm?fps=${parsed.fps}${parsed.size ? `&size=${parsed.size.width}x${parsed.size.height}` : ''}`;
    const target = 'socketPath' in io.connect ? { socketPath: io.connect.socketPath } : { host: io.connect.host, port: io.connect.port };
    const req = http.get({ ...target, path, headers: { Connection: 'close' } });

    const finish = (code: number, message?: string) => {
      if (settled) return;
      settled = true;
      if (message) io.stderr.write(`${PREFIX}${message}\n`);
      io.signal?.removeEventListener('abort', onAbort);
      io.stdout.off('error', onStdoutError);
      req.destroy();
      resolve(code);
    };
    const onAbort = () => finish(0);
    const onStdoutError = (e: NodeJS.ErrnoException) => finish(e.code === 'EPIPE' ? 0 : 1, e.code === 'EPIPE' ? undefined : `stdout: ${e.message}`);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    io.stdout.on('error', onStdoutError);

    req.on('error', (e) => finish(1, `cannot read the video stream from the agent daemon: ${e.message}`));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(1, `agent daemon answered ${res.statusCode} for ${path}`);
        return;
      }
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (!io.stdout.write(chunk)) {
          res.pause();
          io.stdout.once('drain', () => res.resume());
        }
      });
      res.on('end', () => finish(1, 'the agent daemon ended the video stream'));
      res.on('error', (e) => finish(1, `video stream: ${e.message}`));
    });
  });
}

/**
 * `pikvm-agent ffmpeg …`: the daemon's HTTP endpoint from the configuration; SIGTERM/SIGINT stop
 * it. Frames go to the process's stdout itself: the copy needs its backpressure and its EPIPE.
 */
export async function ffmpegCommand(args: ParsedArgs<Record<never, never>>, io: CommandIo): Promise<number> {
  const { connect, maxFps } = await clientHttpEndpoint();
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return runFfmpegShim(args.positionals, { connect, stdout: process.stdout, stderr: io.stderr, signal: abort.signal, maxFps });
}
