/**
 * The configuration flags `serve` and `print-config` share, turned into config overrides, and the
 * control socket the clients talk to.
 */
import type { AgentConfig } from '../config';
import type { OptionSpecs, OptionValues } from './command';

/** Options of every config-reading command; each named one sets one key (config/sources.ts FLAG_KEYS). */
export const CONFIG_OPTIONS = {
  config: { type: 'string', value: 'FILE', help: 'the main configuration file (default /etc/pikvm-agent/agent.yaml; named, it must exist)' },
  set: { type: 'string', multiple: true, value: 'KEY.PATH=VALUE', help: 'set one configuration key' },
  simulate: { type: 'boolean', help: 'the built-in simulated PiKVM, no hardware (video.source=sim)' },
  'control-socket': { type: 'string', value: 'PATH', help: 'control.socket' },
  'run-dir': { type: 'string', value: 'DIR', help: 'run_dir' },
  'log-level': { type: 'string', value: 'LEVEL', help: 'log.level' },
  'http-listen': { type: 'string', value: 'HOST:PORT', help: 'http.listen (empty: no TCP listener)' },
  udc: { type: 'string', value: 'NAME', help: 'gadget.udc' },
  'video-source': { type: 'string', value: 'SOURCE', help: 'video.source' },
  'video-device': { type: 'string', value: 'PATH', help: 'video.device' },
} as const satisfies OptionSpecs;

type ConfigValues = OptionValues<typeof CONFIG_OPTIONS>;

const NAMED_FLAGS = ['control-socket', 'run-dir', 'log-level', 'http-listen', 'udc', 'video-source', 'video-device'] as const;

interface LoadedConfig {
  config: AgentConfig;
  /** the files that were read, in the order they apply */
  files: string[];
}

/** The effective configuration for these flags, and which files it came from. */
export async function loadConfigFromArgs(values: ConfigValues): Promise<LoadedConfig> {
  const { loadConfig } = await import('../config/index.js');
  const { readFile } = await import('node:fs/promises');
  const overrides = [...(values.set ?? [])];
  for (const flag of NAMED_FLAGS) {
    const v = values[flag];
    if (v !== undefined) overrides.push(`--${flag}=${v}`);
  }
  if (values.simulate) overrides.push('video.source=sim');
  const files: string[] = [];
  const config = await loadConfig({
    configFile: values.config,
    explicit: values.config !== undefined,
    env: process.env,
    overrides,
    readFile: async (file: string) => {
      const text = await readFile(file, 'utf8');
      files.push(file);
      return text;
    },
  });
  return { config, files };
}

export interface ClientSocket {
  path: string;
  /** where the path came from, for the hint when nothing listens there */
  origin: string;
}

/** The control socket a client talks to: PIKVM_AGENT_SOCKET, else the configured control.socket. */
export async function clientSocket(): Promise<ClientSocket> {
  const fromEnv = process.env.PIKVM_AGENT_SOCKET;
  if (fromEnv) return { path: fromEnv, origin: 'PIKVM_AGENT_SOCKET' };
  const { config } = await loadConfigFromArgs({});
  return { path: config.control.socket, origin: 'control.socket in the configuration (pikvm-agent print-config)' };
}

/** The daemon's HTTP endpoint for the ffmpeg shim: its Unix socket when it has one, else http.listen. */
export async function clientHttpEndpoint(): Promise<{ connect: { socketPath: string } | { host: string; port: number }; maxFps: number }> {
  const { config } = await loadConfigFromArgs({});
  const listen = config.http.listen;
  const i = listen.lastIndexOf(':');
  const connect = config.http.unix_socket
    ? { socketPath: config.http.unix_socket }
    : { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(listen.slice(i + 1)) };
  return { connect, maxFps: config.video.max_fps };
}
