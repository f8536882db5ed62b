/**
 * The help texts, generated from the command table (agent/cli/commands.ts): the command list of
 * `pikvm-agent --help`, one command's usage and options for `help NAME` / `NAME --help`, and the
 * README's Commands table (test/unit/cli/help.test.ts keeps the README in step).
 */
import { type CommandSpec, HELP_OPTION, optionLabel, type OptionSpec, usageLine } from './command';
import { COMMANDS, GROUPS } from './commands';

export const EXIT_CODES_TEXT = 'Exit codes: 0 ok, 1 failure, 2 usage error, 78 configuration error (signal: 1 not as expected, 2 cannot tell).';

const column = (rows: [string, string][], width = Math.max(...rows.map(([left]) => left.length)) + 2): string =>
  rows.map(([left, right]) => `  ${left.padEnd(width)}${right}\n`).join('');

export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const groups = GROUPS.map((group) => `\n${group}:\n${column(COMMANDS.filter((c) => c.group === group).map((c) => [c.name, c.summary]), width)}`);
  return `usage: pikvm-agent COMMAND [OPTIONS] [ARGS…]
       pikvm-agent help COMMAND      the options of COMMAND (also: pikvm-agent COMMAND --help)
       pikvm-agent --version
${groups.join('')}
The clients find the daemon through PIKVM_AGENT_SOCKET, else control.socket of the configuration.
${EXIT_CODES_TEXT}
`;
}

export function commandHelp(spec: CommandSpec): string {
  const options: [string, OptionSpec][] = [...Object.entries(spec.options), ['help', HELP_OPTION]];
  const rows = options.map(([name, o]): [string, string] => [optionLabel(name, o), o.help + (o.multiple ? ' (repeatable)' : '')]);
  return `${usageLine(spec)}

${spec.summary}

options:
${column(rows)}${spec.details ? `\n${spec.details}\n` : ''}`;
}

/** The README's Commands table. */
export function commandsMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = COMMANDS.map((c) => `| \`${cell(usageLine(c).replace(/^usage: /, ''))}\` | ${cell(c.summary)} |`);
  return ['| command | what it does |', '|---|---|', ...rows].join('\n') + '\n';
}
