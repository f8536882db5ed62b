/**
 * `serve` (the daemon, agent/main.ts) and `print-config` (what `serve` would run with the same flags).
 */
import type { CommandIo, ParsedArgs } from './command';
import { CONFIG_OPTIONS, loadConfigFromArgs } from './config-args';

type ConfigArgs = ParsedArgs<typeof CONFIG_OPTIONS>;

export async function serve(args: ConfigArgs): Promise<number> {
  const { config } = await loadConfigFromArgs(args.values);
  const { runDaemon } = await import('../main.js');
  return runDaemon(config, { simulate: args.values.simulate ?? false });
}

/** The YAML of the effective configuration, after a comment naming the files it came from. */
export async function printConfig(args: ConfigArgs, io: CommandIo): Promise<number> {
  const { config, files } = await loadConfigFromArgs(args.values);
  const { formatConfig } = await import('../config/index.js');
  const read = files.length ? files.map((file) => `#   ${file}\n`).join('') : '#   none (built-in defaults)\n';
  io.stdout.write(`# files read, in the order they apply:\n${read}${formatConfig(config)}`);
  return 0;
}
