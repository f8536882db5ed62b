/**
 * Input cut in the middle of a line, through the real `pikvm-agent input` client and daemon.
 * Found: a line without its newline ran at EOF, so
 * `printf 'cmd echo one\ncmd rm -rf /srv/old' | head -c 30 | pikvm-agent input` typed
 * `rm -rf /srv/o` and pressed Enter, and a cut `ctrl-alt-delete` pressed Ctrl+Alt+Delete. Now such
 * a line is answered `error: bad-command incomplete line …` and never executed; a `kickstart set`
 * body cut before its `.` line stores nothing; a line left unfinished for `control.line_timeout_s`
 * is refused and its connection closed.
 */
import t from 'tap';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { exchange } from '../helpers/socket-client';
import { CLI, orAfter, spawnDaemon } from '../helpers/unit-limited-daemon';

/** `printf FORMAT | head -c BYTES | pikvm-agent input`, as a worker's pipeline would run it. */
async function cutInput(socketPath: string, format: string, bytes: number): Promise<{ code: number | null; stdout: string }> {
  const child = spawn('bash', ['-c', 'printf "$1" | head -c "$2" | "$3" "$4" input', 'bash', format, String(bytes), process.execPath, CLI], {
    env: { ...process.env, PIKVM_AGENT_SOCKET: socketPath },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const [code] = await once(child, 'exit');
  return { code, stdout };
}

/** One daemon for the file: each test leaves the virtual SUT's console as the next one expects. */
const daemon = spawnDaemon(t, ['control.line_timeout_s=1']);

const sut = async (socketPath: string) => JSON.parse((await exchange(socketPath, 'sim sut\n'))[0]!.slice(3)) as { lastShortcut: string | null };

t.test('a line cut by EOF is refused, never run; complete lines before it run', async (t) => {
  const { socketPath: socket, log } = await daemon;

  const cmd = await cutInput(socket, 'cmd echo one\\ncmd rm -rf /srv/old', 30);
  t.same(cmd, { code: 0, stdout: 'ok\nerror: bad-command incomplete line: the input ended after 17 bytes without a newline; not executed\n' }, 'input exits 0 after the last reply');
  t.same(await exchange(socket, 'sim text\n'), ['ok "echo one\\n"'], 'nothing of the cut line was typed, no Enter');

  const combo = await cutInput(socket, 'ctrl-alt-delete\\n', 12);
  t.match(combo, { code: 0, stdout: /^error: bad-command incomplete line/ });
  t.equal((await sut(socket)).lastShortcut, null, 'Ctrl+Alt+Delete was not pressed');

  const body = await cutInput(socket, 'kickstart set cut\\n# kickstart\\n.\\n', 31);
  t.match(body, { code: 0, stdout: /^error: bad-command the input ended before the body's terminating "\." line/ });
  const [templates] = await exchange(socket, 'kickstart list\n');
  t.match(templates, /^ok \[/);
  t.notMatch(templates, /"cut"/, 'nothing was stored');

  t.match(log(), /unfinished input not executed reason=eof bytes=17 start="cmd rm -rf \/srv\/o"/);
});

t.test('a line left unfinished for control.line_timeout_s is refused and its connection closed', async (t) => {
  const { socketPath } = await daemon;
  const client = net.connect({ path: socketPath, allowHalfOpen: true });
  await once(client, 'connect');
  let text = '';
  client.setEncoding('utf8');
  client.on('data', (d: string) => (text += d));
  client.write('cmd rm -rf /srv/o');
  const ended = await orAfter(once(client, 'end').then(() => true), 10_000, false);
  client.destroy();
  t.ok(ended, 'the daemon closed the connection');
  t.equal(text, 'error: timeout incomplete line: no newline within 1 s (control.line_timeout_s); not executed\n');
  t.same(await exchange(socketPath, 'sim text\n'), ['ok "echo one\\n"'], 'nothing more was typed');
});
