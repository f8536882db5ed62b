/**
 * `pikvm-agent worker-kit`: writes the worker-side scripts into GENERAL_HW_CMD_DIR and prints the
 * matching workers.ini block.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_WAIT_SECONDS } from '../cli/signal';
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
} from './scripts';

export const WORKER_KIT_USAGE = `usage: pikvm-agent worker-kit (--host PIKVM | --local) --out DIR --power-on CMD --power-off CMD
                              [--agent CMD] [--image-dir DIR] [--http-host H] [--http-port N]
                              [--video-size WxH] [--off-timeout SECONDS] [--token T | --token-file F]

  --host PIKVM      ssh destination of the PiKVM (e.g. root@pikvm); --local: the agent runs here
  --out DIR         where to write the scripts (the worker's GENERAL_HW_CMD_DIR)
  --power-on CMD    command switching the SUT on (split on spaces, run without a shell; idempotent)
  --power-off CMD   command switching the SUT off (idempotent: os-autoinst calls it twice in a row)
  --agent CMD       the agent command on the PiKVM (default: pikvm-agent)
  --image-dir DIR   an image directory of the agent on the PiKVM (default: ${DEFAULT_IMAGE_DIR})
  --http-host H     the agent's HTTP address for Debian 12's stream URL (default: the PiKVM's host)
  --http-port N     the agent's HTTP port (default: 8780)
  --token T         the agent's http.token, put into Debian 12's stream URL (&token=T)
  --token-file F    the same, read from the first line of F
  --video-size WxH  the jobs' screen (XRES x YRES): larger frames are scaled to it on the PiKVM
                    (default: ${DEFAULT_VIDEO_SIZE})
  --off-timeout S   pikvm-poweroff waits up to S seconds for the HDMI signal to go, and fails
                    if it stays (default: ${DEFAULT_OFF_TIMEOUT_SECONDS}; 0: no wait)
`;

function readTokenFile(file: string, fail: (message: string) => never): string {
  try {
    return (readFileSync(file, 'utf8').split('\n')[0] ?? '').trim();
  } catch (e) {
    return fail(`--token-file ${file}: ${(e as Error).message}`);
  }
}

const splitWords = (text: string) => text.split(' ').filter((w) => w !== '');

export function parseWorkerKitArgs(argv: string[]): WorkerKitOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      local: { type: 'boolean' },
      out: { type: 'string' },
      'power-on': { type: 'string' },
      'power-off': { type: 'string' },
      agent: { type: 'string' },
      'image-dir': { type: 'string' },
      'http-host': { type: 'string' },
      'http-port': { type: 'string' },
      'video-size': { type: 'string' },
      'off-timeout': { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
    },
  });
  const fail = (message: string): never => {
    throw new Error(message);
  };
  if (positionals.length) fail(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if ((values.host === undefined) === (values.local !== true)) fail('give exactly one of --host PIKVM or --local');
  const host = values.host === undefined ? null : validateHost(values.host);
  if (!values.out) fail('--out DIR is required');
  const powerOn = splitWords(values['power-on'] ?? '');
  const powerOff = splitWords(values['power-off'] ?? '');
  if (!powerOn.length || !powerOff.length) fail('--power-on and --power-off are required (the commands that switch the SUT)');
  const imageDir = values['image-dir'] ?? DEFAULT_IMAGE_DIR;
  if (!path.isAbsolute(imageDir)) fail('--image-dir must be an absolute path on the PiKVM');
  const port = Number(values['http-port'] ?? '8780');
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail('--http-port must be 1..65535');
  const httpHost = values['http-host'] ?? (host === null ? '127.0.0.1' : host.slice(host.indexOf('@') + 1));
  validateHost(httpHost);
  const videoSize = validateVideoSize(values['video-size'] ?? DEFAULT_VIDEO_SIZE);
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

export async function runWorkerKit(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  let options: WorkerKitOptions;
  try {
    options = parseWorkerKitArgs(argv);
  } catch (e) {
    io.stderr.write(`pikvm-agent worker-kit: ${(e as Error).message}\n\n${WORKER_KIT_USAGE}`);
    return 2;
  }
  await fs.mkdir(options.outDir, { recursive: true });
  for (const file of workerKitFiles(options)) {
    const target = path.join(options.outDir, file.name);
    await fs.writeFile(`${target}.tmp`, file.content, { mode: file.mode });
    await fs.rename(`${target}.tmp`, target);
  }
  io.stdout.write(workersIni(options));
  return 0;
}
