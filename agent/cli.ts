#!/usr/bin/env node
/**
 * `pikvm-agent` command line. The daemon (`serve`) and the small clients workers run over ssh
 * (`input`, `ctl`, `ffmpeg`, `v4l2-ctl`, `signal`) share one executable; each subcommand loads only
 * what it needs so the clients start fast.
 */
import { parseArgs } from 'node:util';

const USAGE = `usage: pikvm-agent COMMAND [ARGS…]

  serve [--config F] [--simulate] [--control-socket P] [--set key.path=value]…
                      run the daemon (--simulate: the built-in simulated PiKVM, no hardware)
  input [--screen WxH] stdin lines → control socket → one reply per line on stdout; exit 0 on EOF
                      (what a worker's GENERAL_HW_INPUT_CMD runs); --screen: mouse_move positions
                      are in a WxH space (os-autoinst's XRES×YRES) instead of hid.screen_width×height
  ctl COMMAND…        send one control command, print its reply; exit 1 on error
  print-config [--config F] [--set key.path=value]…
                      print the effective configuration
  edid decode|make|check|fix …
                      EDID tool (run 'pikvm-agent edid' for its usage)
  ffmpeg [--size WxH] -loglevel L -i /dev/videoN -vcodec ppm -f rawvideo -r N -
                      PPM frames from the daemon on stdout (GENERAL_HW_VIDEO_CMD_PREFIX shim);
                      --size: frames larger than WxH scaled to it
  v4l2-ctl --device /dev/videoN --concise --get-dv-timings|--query-dv-timings|--set-dv-bt-timings query|--set-edid file=F|type=hdmi
                      DV timings / EDID through the daemon, printed as v4l2-ctl does (same shim)
  signal [--expect on|off] [--wait SECONDS]
                      exit 0 when the SUT's HDMI signal is as expected (default on), 1 when not,
                      2 when the agent cannot tell; --wait: ask until it is (power scripts)
  worker-kit (--host PIKVM | --local) --out DIR --power-on CMD --power-off CMD
                      write an openQA worker's GENERAL_HW_CMD_DIR scripts, print workers.ini
  bundle --arch armv7h|aarch64|x86_64 --out FILE.tar.gz
                      a self-contained bundle for a PiKVM (after npm run build)
  install [--root DIR] | uninstall [--root DIR] [--purge]
                      on the PiKVM, as root: install from an unpacked bundle / remove
  deploy --host [USER@]PIKVM [--arch auto|…] [--remove [--purge]]
                      bundle, copy and install (or remove) over ssh

The clients find the daemon through PIKVM_AGENT_SOCKET, else the configured control.socket.
`;

/** Options every config-reading subcommand accepts, mapped to config overrides. */
const CONFIG_OPTIONS = {
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  'control-socket': { type: 'string' },
  'run-dir': { type: 'string' },
  'log-level': { type: 'string' },
  'http-listen': { type: 'string' },
  udc: { type: 'string' },
  'video-source': { type: 'string' },
  'video-device': { type: 'string' },
} as const;

type ConfigArgs = { [K in keyof typeof CONFIG_OPTIONS]?: (typeof CONFIG_OPTIONS)[K] extends { multiple: true } ? string[] : string };

async function loadConfigFromArgs(values: ConfigArgs, extra: string[] = []) {
  const { loadConfig } = (require('./config') as typeof import('./config'));
  const overrides = [...(values.set ?? [])];
  for (const flag of ['control-socket', 'run-dir', 'log-level', 'http-listen', 'udc', 'video-source', 'video-device'] as const) {
    const v = values[flag];
    if (v !== undefined) overrides.push(`--${flag}=${v}`);
  }
  overrides.push(...extra);
  return loadConfig({ configFile: values.config, explicit: values.config !== undefined, env: process.env, overrides });
}

/** The control socket a client talks to. */
async function clientSocketPath(): Promise<string> {
  const fromEnv = process.env.PIKVM_AGENT_SOCKET;
  if (fromEnv) return fromEnv;
  const config = await loadConfigFromArgs({});
  return config.control.socket;
}

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { ...CONFIG_OPTIONS, simulate: { type: 'boolean' } }, strict: true });
      const config = await loadConfigFromArgs(values, values.simulate ? ['video.source=sim'] : []);
      const { runDaemon } = (require('./main') as typeof import('./main'));
      return runDaemon(config, { simulate: values.simulate ?? false });
    }
    case 'print-config': {
      const { values } = parseArgs({ args: rest, options: CONFIG_OPTIONS, strict: true });
      const { formatConfig } = (require('./config') as typeof import('./config'));
      process.stdout.write(formatConfig(await loadConfigFromArgs(values)));
      return 0;
    }
    case 'input': {
      const { values, positionals } = parseArgs({ args: rest, options: { screen: { type: 'string' } }, strict: true, allowPositionals: true });
      if (positionals.length) throw new UsageError('input takes no arguments but --screen WxH');
      const size = values.screen === undefined ? undefined : /^(\d{1,5})x(\d{1,5})$/.exec(values.screen);
      if (size === null) throw new UsageError(`--screen is WIDTHxHEIGHT like 1024x768, got ${JSON.stringify(values.screen)}`);
      const { runInput } = (require('./cli/client') as typeof import('./cli/client'));
      return runInput(await clientSocketPath(), io, size && { width: Number(size[1]), height: Number(size[2]) });
    }
    case 'ctl': {
      const { runCtl } = (require('./cli/client') as typeof import('./cli/client'));
      return runCtl(await clientSocketPath(), rest, io);
    }
    case 'edid': {
      const { runEdidCommand, processEdidIo } = (require('./video/edid/cli') as typeof import('./video/edid/cli'));
      return runEdidCommand(rest, processEdidIo);
    }
    case 'ffmpeg': {
      const { runFfmpegShim } = (require('./video/shim-ffmpeg') as typeof import('./video/shim-ffmpeg'));
      const config = await loadConfigFromArgs({});
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const connect = config.http.unix_socket ? { socketPath: config.http.unix_socket } : parseHostPort(config.http.listen);
      return runFfmpegShim(rest, { connect, stdout: process.stdout, stderr: process.stderr, signal: abort.signal, maxFps: config.video.max_fps });
    }
    case 'v4l2-ctl': {
      const { runV4l2CtlShim } = (require('./video/shim-v4l2ctl') as typeof import('./video/shim-v4l2ctl'));
      const { request } = (require('./cli/client') as typeof import('./cli/client'));
      const { readFile } = (require('node:fs/promises') as typeof import('node:fs/promises'));
      const socketPath = await clientSocketPath();
      return runV4l2CtlShim(rest, { request: (line) => request(socketPath, line), stdout: process.stdout, stderr: process.stderr, readFile });
    }
    case 'worker-kit': {
      const { runWorkerKit } = require('./worker-kit/cli') as typeof import('./worker-kit/cli');
      return runWorkerKit(rest, io);
    }
    case 'bundle':
    case 'install':
    case 'uninstall':
    case 'deploy': {
      const { runDeployCommand } = require('./deploy/cli') as typeof import('./deploy/cli');
      return runDeployCommand(command, rest, io);
    }
    case 'signal': {
      const { values } = parseArgs({ args: rest, options: { expect: { type: 'string' }, wait: { type: 'string' } }, strict: true });
      const { parseSignalOptions, runSignal, SignalUsageError } = require('./cli/signal') as typeof import('./cli/signal');
      let options;
      try {
        options = parseSignalOptions(values);
      } catch (e) {
        throw e instanceof SignalUsageError ? new UsageError(e.message) : e;
      }
      return runSignal(await clientSocketPath(), io, options);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function parseHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(listen.slice(i + 1)) };
}

class UsageError extends Error {}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const { ConfigError } = require('./config') as typeof import('./config');
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`pikvm-agent: ${(e as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (e instanceof ConfigError) {
      process.stderr.write(`pikvm-agent: configuration error: ${e.message}\n`);
      process.exitCode = 78; // EX_CONFIG (sysexits.h): systemd shows it as a configuration problem
    } else {
      // An AgentError is an expected failure with a complete message (a port in use, another agent
      // running): one line. Anything else is a bug, and its stack trace helps.
      const { AgentError } = require('./errors') as typeof import('./errors');
      const text = e instanceof AgentError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
      process.stderr.write(`pikvm-agent: ${text}\n`);
      process.exitCode = 1;
    }
  },
);
