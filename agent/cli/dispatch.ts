/**
 * `pikvm-agent ARGS…` → the exit code: finds the command in the table, answers --help, --version
 * and `help NAME`, parses the options, runs the command, and turns what it throws into one line and
 * an exit code (0 ok, 1 failure, 2 usage, 78 configuration).
 *
 * Everything the error path needs is imported here, up front: `uninstall` deletes the tree the CLI
 * runs from, so nothing may be loaded after a command has run.
 */
import { ConfigError } from '../config/errors';
import { closest } from '../edit-distance';
import { AgentError } from '../errors';
import { AGENT_VERSION } from '../version';
import { type CommandIo, type CommandSpec, EXIT, parseCommandArgs, PREFIX, UsageError, usageLine } from './command';
import { COMMANDS, findCommand } from './commands';
import { commandHelp, globalHelp } from './help';

function version(): string {
  return `pikvm-agent ${AGENT_VERSION}\n`;
}

function unknownCommand(name: string): UsageError {
  const near = closest(name, COMMANDS.map((c) => c.name));
  return new UsageError(`unknown command ${JSON.stringify(name)}${near ? ` (did you mean ${near}?)` : ''}`);
}

/** The line and code for whatever a command threw. */
function report(e: unknown, spec: CommandSpec | undefined, io: Pick<CommandIo, 'stderr'>): number {
  if (e instanceof UsageError) {
    const how = spec ? `${usageLine(spec)}\n(pikvm-agent help ${spec.name} for the options)` : 'pikvm-agent --help lists the commands';
    io.stderr.write(`${PREFIX}${e.message}\n${how}\n`);
    return EXIT.usage;
  }
  if (e instanceof ConfigError) {
    io.stderr.write(`${PREFIX}configuration error: ${e.message}\n`);
    return EXIT.config;
  }
  // An AgentError is an expected failure with a complete message (a port in use, another agent
  // running, no daemon): one line. Anything else is a bug, and its stack trace helps.
  const text = e instanceof AgentError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  io.stderr.write(`${PREFIX}${text}\n`);
  return EXIT.failure;
}

/** One command with its arguments (after its name) → the exit code; `load` replaces the table's in tests. */
export async function runCommand(spec: CommandSpec, argv: readonly string[], io: CommandIo, load = spec.load): Promise<number> {
  try {
    const args = parseCommandArgs(spec, argv);
    if (args.help) {
      io.stdout.write(commandHelp(spec));
      return EXIT.ok;
    }
    const run = await load();
    return await run({ values: args.values, positionals: args.positionals }, io);
  } catch (e) {
    return report(e, spec, io);
  }
}

export async function dispatch(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    switch (name) {
      case undefined:
        io.stderr.write(globalHelp());
        return EXIT.usage;
      case '--help':
      case '-h':
        io.stdout.write(globalHelp());
        return EXIT.ok;
      case '--version':
      case '-V':
        io.stdout.write(version());
        return EXIT.ok;
      case 'help': {
        if (rest.length === 0) {
          io.stdout.write(globalHelp());
          return EXIT.ok;
        }
        if (rest.length > 1) throw new UsageError('help takes one command name');
        const spec = findCommand(rest[0]!);
        if (!spec) throw unknownCommand(rest[0]!);
        io.stdout.write(commandHelp(spec));
        return EXIT.ok;
      }
    }
    const spec = findCommand(name);
    if (!spec) throw name.startsWith('-') ? new UsageError(`unknown option ${name}; options go after the command name`) : unknownCommand(name);
    return await runCommand(spec, rest, io);
  } catch (e) {
    return report(e, undefined, io);
  }
}
