/**
 * The compiled command line as workers and people run it: `serve --simulate`, `input`, `ctl`,
 * `print-config`, and SIGTERM. Needs `npm run build` first (the README's test command does it).
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, runCli } from '../helpers/cli';

const run = runCli;

async function waitForSocket(p: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(p)) return;
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('daemon did not create its socket');
}

t.before(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
});

t.test('serve --simulate, the worked example through input, ctl, then SIGTERM tears down', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-cli-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const runDir = path.join(dir, 'run');
  const socket = path.join(runDir, 'control.sock');
  const env = { PIKVM_AGENT_SOCKET: socket };
  const daemon = spawn(process.execPath, [CLI, 'serve', '--simulate', `--run-dir=${runDir}`, '--config', path.join(dir, 'none.yaml'), '--set', 'http.listen='], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  daemon.stderr!.on('data', (d) => (log += d));
  t.teardown(() => daemon.kill('SIGKILL'));
  await t.rejects(waitForSocket(socket, daemon), /exited with 78/, 'an explicit --config that does not exist is a configuration error');
  t.match(log, /none\.yaml.*cannot read: file not found/);

  const daemon2 = spawn(process.execPath, [CLI, 'serve', '--simulate', `--run-dir=${runDir}`, '--set', 'http.listen='], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log2 = '';
  daemon2.stderr!.on('data', (d) => (log2 += d));
  t.teardown(() => daemon2.kill('SIGKILL'));
  await waitForSocket(socket, daemon2);
  t.equal((await fs.stat(socket)).mode & 0o777, 0o660);

  const lines = ['mouse_move 320 420', 'mouse_move 325 420', 'mouse_move 320 420', 'mouse_button 1', 'mouse_button 0', 'mouse_button 4', 'mouse_button 0', 'mouse_button 2', 'mouse_button 0', 'mouse_move 1023 767', 'a', 'ctrl-x', 's', 'o', 'm', 'e', 'spc', 't', 'e', 's', 't', 'ret'];
  const input = await run(['input'], env, lines.join('\n') + '\n');
  t.equal(input.code, 0, 'input exits 0 on EOF');
  t.equal(input.stdout, lines.map(() => 'ok\n').join(''), 'exactly one ok per line');

  t.same(await run(['ctl', 'sim', 'text'], env), { code: 0, stdout: 'ok "asome test\\n"\n', stderr: '' });
  t.same(await run(['ctl', 'sim', 'pointer'], env), { code: 0, stdout: 'ok {"x":1023,"y":767,"buttons":0}\n', stderr: '' });
  const status = await run(['ctl', '--json', 'status'], env);
  t.equal(status.code, 0, status.stderr);
  t.match(JSON.parse(status.stdout), { agent: { simulated: true } }, 'ctl --json status: the daemon\'s JSON alone');
  const bad = await run(['ctl', 'mouse_move', 'x', '1'], env);
  t.equal(bad.code, 1, 'ctl exits 1 on error');
  t.match(bad.stdout, /^error: bad-argument /);

  daemon2.kill('SIGTERM');
  const [code] = await once(daemon2, 'exit');
  t.equal(code, 0, 'SIGTERM exits 0');
  t.match(log2, /RMDIR usb_gadget\/pikvm-agent\n/, 'the gadget was torn down');
  t.notOk(existsSync(socket), 'the socket is removed');
});

t.test('input without a daemon fails with a clear message', async (t) => {
  const r = await run(['input'], { PIKVM_AGENT_SOCKET: path.join(os.tmpdir(), 'no-such-agent.sock') }, 'a\n');
  t.equal(r.code, 1);
  t.match(r.stderr, /cannot connect to the agent's control socket .*no-such-agent\.sock: ENOENT/);
});

t.test('print-config shows the effective configuration; errors name file and key', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-cfg-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'agent.yaml');
  await fs.writeFile(file, 'hid:\n  screen_width: 1280\n');
  const ok = await run(['print-config', '--config', file, '--set', 'hid.screen_height=1024'], {});
  t.equal(ok.code, 0);
  t.match(ok.stdout, /screen_width: 1280/);
  t.match(ok.stdout, /screen_height: 1024/);
  await fs.writeFile(file, 'hid:\n  screen_widht: 1280\n');
  const bad = await run(['print-config', '--config', file], {});
  t.equal(bad.code, 78);
  t.match(bad.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}.*hid\\.screen_widht`));
});

t.test('unknown subcommands and options are usage errors', async (t) => {
  const r = await run(['frobnicate'], {});
  t.equal(r.code, 2);
  t.match(r.stderr, /unknown command "frobnicate"/);
  const r2 = await run(['serve', '--bogus'], {});
  t.equal(r2.code, 2);
});
