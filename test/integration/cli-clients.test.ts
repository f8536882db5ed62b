/**
 * The compiled clients as a script meets them: `ctl` answers --help itself, passes the control
 * command on verbatim, prints JSON alone with --json, and fails at once when no daemon listens;
 * `print-config --simulate`; `npm start` execs the daemon. Needs `npm run build` first.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO, runCli } from '../helpers/cli';

t.before(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
});

async function tempDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-cmds-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A stand-in daemon on a Unix socket: records every line, answers each with `reply`. */
async function recordingDaemon(t: Test, reply: (line: string) => string): Promise<{ socket: string; lines: string[] }> {
  const socket = path.join(await tempDir(t), 'control.sock');
  const lines: string[] = [];
  const server = net.createServer((c) => {
    let text = '';
    c.on('data', (d) => {
      text += d;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        lines.push(line);
        c.write(reply(line) + '\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { socket, lines };
}

t.test('ctl --help is answered by the CLI, not sent to the daemon', async (t) => {
  const daemon = await recordingDaemon(t, () => 'error: bad-command unknown command');
  const r = await runCli(['ctl', '--help'], { PIKVM_AGENT_SOCKET: daemon.socket });
  t.equal(r.code, 0);
  t.match(r.stdout, /^usage: pikvm-agent ctl \[--json\] COMMAND/);
  t.same(daemon.lines, [], 'the daemon got nothing');
});

t.test('ctl passes everything from the control command on verbatim, flags included', async (t) => {
  const daemon = await recordingDaemon(t, () => 'ok');
  const r = await runCli(['ctl', 'storage', 'attach', '--lun', '1', '--cdrom', '/images/x.iso'], { PIKVM_AGENT_SOCKET: daemon.socket });
  t.same([r.code, r.stdout, r.stderr], [0, 'ok\n', '']);
  const after = await runCli(['ctl', '--', '--help'], { PIKVM_AGENT_SOCKET: daemon.socket });
  t.equal(after.code, 0, '-- ends the options');
  t.same(daemon.lines, ['storage attach --lun 1 --cdrom /images/x.iso', '--help']);
});

t.test('ctl --json prints the JSON value alone (for jq); errors go to stderr', async (t) => {
  const daemon = await recordingDaemon(t, (line) =>
    line === 'status' ? 'ok {"agent":{"simulated":true},"video":{"signal":{"online":true}}}' : line === 'sim text' ? 'ok "a b\\n"' : line === 'ping' ? 'ok' : 'error: bad-command unknown command',
  );
  const env = { PIKVM_AGENT_SOCKET: daemon.socket };
  const status = await runCli(['ctl', '--json', 'status'], env);
  t.equal(status.code, 0);
  t.same(JSON.parse(status.stdout), { agent: { simulated: true }, video: { signal: { online: true } } }, 'stdout is the JSON alone');
  t.same(JSON.parse((await runCli(['ctl', '--json', 'sim', 'text'], env)).stdout), 'a b\n', 'a string value is JSON too');
  t.same(await runCli(['ctl', '--json', 'ping'], env), { code: 0, stdout: '', stderr: '' }, 'a bare ok prints nothing');
  t.same(await runCli(['ctl', '--json', 'frobnicate'], env), { code: 1, stdout: '', stderr: 'pikvm-agent: error: bad-command unknown command\n' });
  t.same(await runCli(['ctl', 'status'], env), { code: 0, stdout: 'ok {"agent":{"simulated":true},"video":{"signal":{"online":true}}}\n', stderr: '' }, 'without --json: the reply line');
});

t.test('a client fails at once when no daemon listens, naming the socket and where its path came from', async (t) => {
  const dir = await tempDir(t);
  const missing = path.join(dir, 'none.sock');
  for (const args of [['ctl', 'status'], ['input']]) {
    const r = await runCli(args, { PIKVM_AGENT_SOCKET: missing }, 'ping\n');
    t.equal(r.code, 1, args.join(' '));
    t.equal(r.stdout, '');
    t.equal(
      r.stderr,
      `pikvm-agent: cannot connect to the agent's control socket ${missing}: ENOENT (no such socket: is the daemon running? systemctl status pikvm-agent; the path comes from PIKVM_AGENT_SOCKET)\n`,
      `${args.join(' ')}: one line`,
    );
  }
  // A socket file nobody listens on (a daemon killed with SIGKILL leaves it): ECONNREFUSED.
  const stale = path.join(dir, 'stale.sock');
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  t.ok(existsSync(stale), 'the stale socket is there');
  const refused = await runCli(['ctl', 'status'], { PIKVM_AGENT_SOCKET: stale });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /^pikvm-agent: cannot connect to the agent's control socket .*stale\.sock: ECONNREFUSED \(nothing listens there: is the daemon running\?/);
  const configured = await runCli(['ctl', 'status'], { PIKVM_AGENT_SOCKET: '', PIKVM_AGENT_CONTROL__SOCKET: missing });
  t.match(configured.stderr, /the path comes from control\.socket in the configuration \(pikvm-agent print-config\)\)\n$/);
});

t.test('print-config --simulate shows what serve --simulate runs with, after the files it read', async (t) => {
  const dir = await tempDir(t);
  const main = path.join(dir, 'agent.yaml');
  await fs.writeFile(main, 'hid:\n  screen_width: 1280\n');
  await fs.mkdir(path.join(dir, 'agent.d'));
  await fs.writeFile(path.join(dir, 'agent.d', '20-b.yaml'), 'hid:\n  screen_height: 1024\n');
  await fs.writeFile(path.join(dir, 'agent.d', '10-a.yaml'), 'log:\n  level: debug\n');
  await fs.writeFile(path.join(dir, 'agent.d', 'notes.txt'), 'not configuration\n');

  const sim = await runCli(['print-config', '--simulate', '--config', main]);
  t.equal(sim.code, 0, sim.stderr);
  t.ok(sim.stdout.startsWith(`# files read, in the order they apply:\n#   ${main}\n#   ${path.join(dir, 'agent.d', '10-a.yaml')}\n#   ${path.join(dir, 'agent.d', '20-b.yaml')}\n#`), sim.stdout.slice(0, 300));
  const YAML = await import('yaml');
  const config = YAML.parse(sim.stdout) as { video: { source: string }; hid: { screen_width: number; screen_height: number }; log: { level: string } };
  t.equal(config.video.source, 'sim', '--simulate: the simulated video source');
  t.same([config.hid.screen_width, config.hid.screen_height, config.log.level], [1280, 1024, 'debug']);

  const real = await runCli(['print-config', '--config', main]);
  t.not((YAML.parse(real.stdout) as { video: { source: string } }).video.source, 'sim', 'without --simulate the configured source');

  const none = await runCli(['print-config', '--config', path.join(dir, 'none.yaml')]);
  t.equal(none.code, 78, 'an explicit file that does not exist is a configuration error');
});

t.test('npm start execs the daemon: stopping the pid npm started stops the daemon, nothing is orphaned', async (t) => {
  // npm runs a script as `sh -c SCRIPT` and forwards SIGTERM to that child; the daemon must be that
  // process, not a grandchild the signal never reaches. The build step is left out (it is `tsc`).
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts.start!;
  t.match(script, /^npm run build && /);
  const runDir = path.join(await tempDir(t), 'run');
  const child = spawn('sh', ['-c', `${script.replace(/^npm run build && /, '')} --run-dir ${runDir} --http-listen=`], { cwd: REPO, stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  const lock = path.join(runDir, 'agent.lock');
  for (let i = 0; !existsSync(path.join(runDir, 'control.sock')); i++) {
    if (child.exitCode !== null || i > 400) throw new Error(`the daemon did not start (exit ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const holder = Number((await fs.readFile(lock, 'utf8')).trim());
  t.teardown(() => void (holder !== child.pid && process.kill(holder, 'SIGTERM'))); // an orphan, on failure
  t.equal(holder, child.pid, 'the daemon holding the lock is the process npm started');
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 0, 'and SIGTERM stops it cleanly');
});
