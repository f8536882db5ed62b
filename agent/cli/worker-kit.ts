/**
 * `pikvm-agent worker-kit`: writes the worker-side scripts into GENERAL_HW_CMD_DIR and prints the
 * matching workers.ini block.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CommandIo, type ParsedArgs, UsageError } from './command';
import { findCommand, WORKER_KIT_OPTIONS } from './commands';
import { runCommand } from './dispatch';
import { MAX_WAIT_SECONDS } from './signal';
import { TOKEN } from '../config/http-token';
import { DEFAULT_IMAGE_DIR } from '../platform/paths';
import {
  DEFAULT_OFF_TIMEOUT_SECONDS,
  DEFAULT_VIDEO_SIZE,
  validateHost,
  validateVideoSize,
  type WorkerKitOptions,
  workerKitFiles,
  workersIni,
} from '../worker-kit/scripts';

function readTokenFile(file: string, fail: (message: string) => never): string {
  try {
    return (readFileSync(file, 'utf8').split('\n')[0] ?? '').trim();
  } catch (e) {
    return fail(`--token-file ${file}: ${(e as Error).message}`);
  }
}

const splitWords = (text: string) => text.split(' ').filter((w) => w !== '');

type WorkerKitArgs = ParsedArgs<typeof WORKER_KIT_OPTIONS>;

function workerKitOptions({ values }: WorkerKitArgs): WorkerKitOptions {
  const fail = (message: string): never => {
    throw new UsageError(message);
  };
  if ((values.host === undefined) === (values.local !== true)) fail('give exactly one of --host PIKVM or --local');
  const host = values.host === undefined ? null : usage(() => validateHost(values.host!));
  if (!values.out) fail('--out DIR is required');
  const powerOn = splitWords(values['power-on'] ?? '');
  const powerOff = splitWords(values['power-off'] ?? '');
  if (!powerOn.length || !powerOff.length) fail('--power-on and --power-off are required (the commands that switch the SUT)');
  const imageDir = values['image-dir'] ?? DEFAULT_IMAGE_DIR;
  if (!path.isAbsolute(imageDir)) fail('--image-dir must be an absolute path on the PiKVM');
  const port = Number(values['http-port'] ?? '8780');
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail('--http-port must be 1..65535');
  const httpHost = values['http-host'] ?? (host === null ? '127.0.0.1' : host.slice(host.indexOf('@') + 1));
  usage(() => validateHost(httpHost));
  const videoSize = usage(() => validateVideoSize(values['video-size'] ?? DEFAULT_VIDEO_SIZE));
  const offTimeout = values['off-timeout'] ?? String(DEFAULT_OFF_TIMEOUT_SECONDS);
  if (!/^[0-9]{1,3}$/.test(offTimeout) || Number(offTimeout) > MAX_WAIT_SECONDS) fail(`--off-timeout must be whole seconds from 0 to ${MAX_WAIT_SECONDS}`);
  if (values.token !== undefined && values['token-file'] !== undefined) fail('give --token or --token-file, not both');
  const token = values['token-file'] === undefined ? (values.token ?? '') : readTokenFile(values['token-file'], fail);
  if (token !== '' && !TOKEN.test(token)) fail('the token must be 1..256 letters, digits, . _ ~ - (as http.token)');
  return {
    host,
    token,
    outDir: path.resolve(values.out!),
    powerOn,
    powerOff,
    agentCommand: splitWords(values.agent ?? 'pikvm-agent'),
    imageDir,
    httpHost,
    httpPort: port,
    videoSize,
    offTimeoutSeconds: Number(offTimeout),
  };
}

/** A value the kit's rules refuse is the caller's mistake: a usage error. */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw e instanceof Error && !(e instanceof UsageError) ? new UsageError(e.message) : e;
  }
}

export async function workerKitCommand(args: WorkerKitArgs, io: CommandIo): Promise<number> {
  const options = workerKitOptions(args);
  await fs.mkdir(options.outDir, { recursive: true });
  for (const file of workerKitFiles(options)) {
    const target = path.join(options.outDir, file.name);
    await fs.writeFile(`${target}.tmp`, file.content, { mode: file.mode });
    await fs.rename(`${target}.tmp`, target);
  }
  io.stdout.write(workersIni(options));
  return 0;
}

/** `worker-kit ARGS…` as the CLI runs it, over the given streams; → the exit code. */
export function runWorkerKit(argv: string[], io: Pick<CommandIo, 'stdout' | 'stderr'>): Promise<number> {
  return runCommand(findCommand('worker-kit')!, argv, io, async () => workerKitCommand);
}
