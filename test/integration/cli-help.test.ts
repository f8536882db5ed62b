/**
 * The compiled command line's help as a user meets it: the command list, help for every command of
 * the table, `help CMD`, `--version`, "did you mean", the usage line on a bad flag. Needs
 * `npm run build` first.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS, findCommand } from '../../agent/cli/commands';
import { commandHelp } from '../../agent/cli/help';
import { CLI, REPO, runCli } from '../helpers/cli';

t.before(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
});

t.test('--help lists every command of the table; help and no command too', async (t) => {
  const help = await runCli(['--help']);
  t.equal(help.code, 0);
  for (const c of COMMANDS) t.match(help.stdout, new RegExp(`\\n  ${c.name} +${c.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), c.name);
  t.match(help.stdout, /Exit codes: 0 ok, 1 failure, 2 usage error, 78 configuration error/);
  t.same(await runCli(['help']), help, 'help without a command is --help');
  const none = await runCli([]);
  t.same([none.code, none.stdout, none.stderr], [2, '', help.stdout], 'no command: the list on stderr, exit 2');
});

t.test('every command answers --help with its usage and options from the table, and does nothing else', async (t) => {
  for (const c of COMMANDS) {
    const r = await runCli([c.name, '--help'], { PIKVM_AGENT_SOCKET: '/nonexistent/control.sock' });
    t.same(r, { code: 0, stdout: commandHelp(c), stderr: '' }, `${c.name} --help: the table's help, exit 0`);
    t.match(r.stdout, new RegExp(`^usage: pikvm-agent ${c.name}[ \\n]`), `${c.name} --help starts with its usage`);
    for (const option of Object.keys(c.options)) t.match(r.stdout, `--${option}`, `${c.name} --help lists --${option}`);
    t.match(r.stdout, /-h, --help/);
  }
});

t.test('help NAME and NAME -h are NAME --help, also for a shim', async (t) => {
  for (const [name, args] of [['ctl', ['help', 'ctl']], ['ctl', ['ctl', '-h']], ['serve', ['help', 'serve']], ['ffmpeg', ['ffmpeg', '-h']]] as const) {
    t.same(await runCli([...args]), { code: 0, stdout: commandHelp(findCommand(name)!), stderr: '' }, args.join(' '));
  }
});

t.test('--version prints the version of package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
  t.same(await runCli(['--version']), { code: 0, stdout: `pikvm-agent ${pkg.version}\n`, stderr: '' });
  t.equal(path.join(REPO, pkg.bin['pikvm-agent']!), CLI, 'the tests run what package.json installs');
});

t.test('a mistyped command gets a suggestion and exit 2', async (t) => {
  for (const [typo, meant] of [['sevre', 'serve'], ['clt', 'ctl'], ['v4l2ctl', 'v4l2-ctl']]) {
    const r = await runCli([typo!]);
    t.equal(r.code, 2, typo);
    t.equal(r.stdout, '');
    t.match(r.stderr, `pikvm-agent: unknown command "${typo}" (did you mean ${meant}?)\n`);
  }
  const far = await runCli(['frobnicate']);
  t.same([far.code, far.stderr], [2, 'pikvm-agent: unknown command "frobnicate"\npikvm-agent --help lists the commands\n']);
  t.equal((await runCli(['help', 'sevre'])).code, 2, 'help of an unknown command');
});

t.test('a bad flag: one line naming it, the usage line, exit 2', async (t) => {
  const cases: [string[], string][] = [
    [['serve', '--simulat'], 'unknown option --simulat (did you mean --simulate?)'],
    [['serve', '--config'], '--config needs a value'],
    [['serve', '--simulate=yes'], '--simulate takes no value'],
    [['serve', 'extra'], 'unexpected argument extra'],
    [['signal', '--expect', 'maybe'], '--expect must be on or off (got "maybe")'],
    [['ctl', '--jsno', 'status'], 'unknown option --jsno (did you mean --json?)'],
    [['ctl'], 'ctl needs a control command (e.g. ctl status, ctl storage eject)'],
    [['worker-kit', '--local'], '--out DIR is required'],
    [['uninstall', '--prge'], 'unknown option --prge (did you mean --purge?)'],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { PIKVM_AGENT_SOCKET: '/nonexistent/control.sock' });
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
    const lines = r.stderr.split('\n');
    t.equal(lines[0], `pikvm-agent: ${message}`, `${args.join(' ')}: the message`);
    t.match(lines[1], new RegExp(`^usage: pikvm-agent ${args[0]}( |$)`), `${args.join(' ')}: the usage line`);
    t.equal(lines[2], `(pikvm-agent help ${args[0]} for the options)`);
    t.ok(lines[1]!.length <= 100, 'the usage line is short');
  }
});
