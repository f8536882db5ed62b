/**
 * Help generated from the command table (agent/cli/commands.ts): the README's Commands section is
 * the table's, and defaults quoted in option help are the code's.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findCommand } from '../../../agent/cli/commands';
import { commandHelp, commandsMarkdown, EXIT_CODES_TEXT } from '../../../agent/cli/help';
import { DEFAULT_IMAGE_DIR } from '../../../agent/platform/paths';
import { DEFAULT_OFF_TIMEOUT_SECONDS, DEFAULT_VIDEO_SIZE } from '../../../agent/worker-kit/scripts';

const README = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');

t.test("the README's Commands section is the table", async (t) => {
  t.ok(README.includes(`\n${commandsMarkdown()}`), `README.md must contain, under "## Commands":\n${commandsMarkdown()}`);
  t.ok(README.includes('0 ok, 1 failure, 2 usage error, 78 configuration error'), 'and the exit codes');
  t.match(EXIT_CODES_TEXT, /0 ok, 1 failure, 2 usage error, 78 configuration error/);
});

t.test("worker-kit's help quotes the defaults the kit uses", async (t) => {
  const help = commandHelp(findCommand('worker-kit')!);
  t.match(help, `(default: ${DEFAULT_VIDEO_SIZE})`);
  t.match(help, `(default: ${DEFAULT_OFF_TIMEOUT_SECONDS}; 0: no wait)`);
  t.match(help, `(default: ${DEFAULT_IMAGE_DIR})`);
});
