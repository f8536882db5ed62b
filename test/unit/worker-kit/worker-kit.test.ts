/**
 * The generated worker scripts, run by bash as os-autoinst runs them (argument vectors, no shell),
 * against stand-ins for `pikvm-agent`, `ssh` and `scp` that record the argument vectors they get.
 */
import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runWorkerKit } from '../../../agent/cli/worker-kit';
import { pipeBufferSize, shellQuote } from '../../../agent/worker-kit/scripts';

const run = promisify(execFile);

/** A stand-in command that appends its argv (one JSON array per call) to a log. */
async function recorder(dir: string, name: string, log: string, body = ''): Promise<void> {
  const file = path.join(dir, name);
  await fs.writeFile(
    file,
    `#!/bin/bash\nnode -e 'require("fs").appendFileSync(process.argv[1], JSON.stringify(process.argv.slice(2))+"\\n")' ${shellQuote(log)} "$@"\n${body}`,
    { mode: 0o755 },
  );
}

async function calls(log: string): Promise<string[][]> {
  const text = await fs.readFile(log, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
}

async function kit(t: Test, args: string[]) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-kit-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  await fs.mkdir(bin);
  const log = path.join(dir, 'calls.log');
  const out = path.join(dir, 'cmds');
  let stdout = '';
  let stderr = '';
  const code = await runWorkerKit([...args, '--out', out], {
    stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
  });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const exec = (name: string, argv: string[]) => run(path.join(out, name), argv, { env });
  return { dir, bin, log, out, code, stdout, stderr, exec };
}

t.test('local kit: every script drives the agent with the job values as separate arguments', async (t) => {
  const k = await kit(t, ['--local', '--power-on', 'pikvm-agent ctl sim power on', '--power-off', 'pikvm-agent ctl sim power off', '--image-dir', '/srv/images dir']);
  t.equal(k.code, 0, k.stderr);
  await recorder(k.bin, 'pikvm-agent', k.log);
  await recorder(k.bin, 'cp', k.log);

  await k.exec('pikvm-poweroff', []);
  await k.exec('pikvm-poweroff', []); // os-autoinst calls it twice in a row
  await k.exec('pikvm-poweron', []);
  await k.exec('pikvm-flash', ["/var/lib/openqa/pool/1/my disk's.qcow2", '20G', '/pool/second.img', '10G']);
  await k.exec('pikvm-eject', ['--id=1', '--force']);
  t.same(await calls(k.log), [
    ['ctl', 'sim', 'power', 'off'],
    ['signal', '--expect', 'off', '--wait', '30'],
    ['ctl', 'sim', 'power', 'off'],
    ['signal', '--expect', 'off', '--wait', '30'],
    ['ctl', 'sim', 'power', 'on'],
    ['--reflink=auto', '--', "/var/lib/openqa/pool/1/my disk's.qcow2", "/srv/images dir/openqa-lun0-my disk's.qcow2"],
    ['ctl', 'storage', 'attach', '--lun', '0', '--rw', "/srv/images dir/openqa-lun0-my disk's.qcow2"],
    ['--reflink=auto', '--', '/pool/second.img', '/srv/images dir/openqa-lun1-second.img'],
    ['ctl', 'storage', 'attach', '--lun', '1', '--rw', '/srv/images dir/openqa-lun1-second.img'],
    ['ctl', 'storage', 'eject', '--lun', '1'],
  ]);
});

t.test('is-shutdown says "off" only when the agent says so; an agent it cannot ask is not "off"', async (t) => {
  const k = await kit(t, ['--local', '--power-on', 'on', '--power-off', 'off']);
  const exitCode = (p: Promise<unknown>) => p.then(() => 0, (e: { code: number }) => e.code);
  // The agent's own answer passes through (agent/cli/signal.ts): 0 no signal, 1 signal, 2 cannot tell.
  for (const [agentExit, meaning] of [[0, 'no signal'], [1, 'signal'], [2, 'the agent cannot tell']] as const) {
    await recorder(k.bin, 'pikvm-agent', k.log, `exit ${agentExit}\n`);
    t.equal(await exitCode(k.exec('pikvm-is-shutdown', [])), agentExit, `${meaning} → exit ${agentExit}`);
  }
  t.same((await calls(k.log))[0], ['signal', '--expect', 'off'], 'asks whether the signal is off');
  await fs.rm(path.join(k.bin, 'pikvm-agent'));
  const missing = await exitCode(run(path.join(k.out, 'pikvm-is-shutdown'), [], { env: { ...process.env, PATH: `${k.bin}:/usr/bin:/bin` } }));
  t.not(missing, 0, `agent command missing → exit ${missing}, not "shut down"`);
  await recorder(k.bin, 'pikvm-agent', k.log, 'echo "error: forbidden outside" ; exit 1\n');
  await t.rejects(k.exec('pikvm-flash', ['/x.img', '1G']), 'a refused attach fails the flash');
});

t.test('power-off returns once the agent sees the signal gone, and fails if it stays', async (t) => {
  const k = await kit(t, ['--local', '--power-on', 'on', '--power-off', 'switch off', '--off-timeout', '7']);
  await recorder(k.bin, 'switch', k.log);
  await recorder(k.bin, 'pikvm-agent', k.log, '[ "$1" = signal ] && exit 0\n');
  await k.exec('pikvm-poweroff', []);
  t.same(await calls(k.log), [['off'], ['signal', '--expect', 'off', '--wait', '7']]);
  await recorder(k.bin, 'pikvm-agent', k.log, 'echo "pikvm-agent signal: still a signal after 7 s" >&2; exit 1\n');
  await t.rejects(k.exec('pikvm-poweroff', []), { code: 1, stderr: /still a signal after 7 s/ }, 'the signal stayed: the power-off failed');
  await recorder(k.bin, 'switch', k.log, 'exit 3\n');
  await t.rejects(k.exec('pikvm-poweroff', []), { code: 3 }, 'a failing switch fails at once');

  const noWait = await kit(t, ['--local', '--power-on', 'on', '--power-off', 'switch off', '--off-timeout', '0']);
  await recorder(noWait.bin, 'switch', noWait.log);
  await recorder(noWait.bin, 'pikvm-agent', noWait.log);
  await noWait.exec('pikvm-poweroff', []);
  t.same(await calls(noWait.log), [['off']], '--off-timeout 0: no wait');
});

/**
 * A stand-in that records "<pid> <args>" and then runs until it is killed, in that same process;
 * it returns at once when its arguments contain `quickWhen`.
 */
async function hanger(dir: string, name: string, log: string, quickWhen = '--never--'): Promise<void> {
  await fs.writeFile(
    path.join(dir, name),
    `#!/bin/bash\necho "$$ $*" >> ${shellQuote(log)}\ncase "$*" in *${shellQuote(quickWhen)}*) exit 0 ;; esac\nexec sleep 60\n`,
    { mode: 0o755 },
  );
}

async function loggedPids(file: string, count: number): Promise<number[]> {
  for (let i = 0; i < 400; i++) {
    const lines = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    if (lines.length >= count) return lines.map((l) => Number(l.split(' ')[0]));
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${file}: fewer than ${count} calls`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('every script execs its last command: SIGTERM to the script ends it, no orphan', async (t) => {
  for (const mode of ['local', 'remote'] as const) {
    const where = mode === 'local' ? ['--local'] : ['--host', 'root@pikvm.lab'];
    const k = await kit(t, [...where, '--power-on', 'hang on', '--power-off', 'quick off']);
    t.equal(k.code, 0, k.stderr);
    const hangLog = path.join(k.dir, 'hang.log');
    await hanger(k.bin, 'pikvm-agent', hangLog, '--lun 0'); // flash: the first attach comes back
    await hanger(k.bin, 'hang', hangLog);
    await recorder(k.bin, 'quick', k.log);
    await recorder(k.bin, 'cp', k.log);
    await recorder(k.bin, 'scp', k.log);
    // ssh as sshd runs it: the remote command line through bash (which execs a lone command).
    await fs.writeFile(path.join(k.bin, 'ssh'), `#!/bin/bash\nwhile [ "$1" != "--" ]; do shift; done; shift 2\nexec bash -c "$*"\n`, { mode: 0o755 });
    const cases: Array<[string, string[]]> = [
      ['pikvm-input', []],
      ['pikvm-remote', ['ffmpeg', '-loglevel', 'fatal', '-i', '/dev/video0', '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '4', '-']],
      ['pikvm-remote', ['v4l2-ctl', '--device', '/dev/video0', '--concise', '--get-dv-timings']],
      ['pikvm-poweron', []],
      ['pikvm-poweroff', []],
      ['pikvm-flash', ['/pool/a.img', '1G', '/pool/b.img', '1G']],
      ['pikvm-eject', ['--id=1']],
      ['pikvm-is-shutdown', []],
    ];
    for (const [name, argv] of cases) {
      const what = `${mode} ${name} ${argv[0] ?? ''}`;
      await fs.rm(hangLog, { force: true });
      const child = spawn(path.join(k.out, name), argv, { env: { ...process.env, PATH: `${k.bin}:${process.env.PATH}` }, stdio: 'ignore' });
      const exited = once(child, 'exit');
      const pids = await loggedPids(hangLog, name === 'pikvm-flash' ? 2 : 1);
      const last = pids[pids.length - 1]!;
      t.teardown(() => (alive(last) ? process.kill(last, 'SIGKILL') : undefined));
      if (name === 'pikvm-flash') t.not(pids[0], child.pid, `${what}: the first attach ran in a subshell and came back`);
      t.equal(last, child.pid, `${what}: the last command is the script's own process`);
      child.kill('SIGTERM');
      await exited;
      t.notOk(alive(last), `${what}: nothing left running after SIGTERM`);
    }
  }
});

t.test('remote kit: ssh gets one safely quoted command line; input and the video prefix pass through', async (t) => {
  const k = await kit(t, ['--host', 'root@pikvm.lab', '--power-on', 'smartplug on 3', '--power-off', 'smartplug off 3']);
  t.equal(k.code, 0, k.stderr);
  // A stand-in ssh that runs the remote command line through bash, as sshd does.
  await fs.writeFile(
    path.join(k.bin, 'ssh'),
    `#!/bin/bash\nwhile [ "$1" != "--" ]; do shift; done; shift; host=$1; shift\n[ "$host" = root@pikvm.lab ] || exit 9\nexec bash -c "$*"\n`,
    { mode: 0o755 },
  );
  await recorder(k.bin, 'scp', k.log);
  await recorder(k.bin, 'pikvm-agent', k.log);
  await k.exec('pikvm-remote', ['ffmpeg', '-loglevel', 'fatal', '-i', '/dev/video0', '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '4', '-']);
  await k.exec('pikvm-remote', ['v4l2-ctl', '--device', '/dev/video0', '--concise', '--set-edid', 'type=hdmi']);
  await k.exec('pikvm-flash', ['/pool/a b;$(reboot).img', '1G']);
  t.same(await calls(k.log), [
    ['ffmpeg', '--size', '1024x768', '-loglevel', 'fatal', '-i', '/dev/video0', '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '4', '-'],
    ['v4l2-ctl', '--device', '/dev/video0', '--concise', '--set-edid', 'type=hdmi'],
    ['-q', '-o', 'BatchMode=yes', '--', '/pool/a b;$(reboot).img', 'root@pikvm.lab:/var/lib/pikvm-agent/images/openqa-lun0-a b;$(reboot).img'],
    ['ctl', 'storage', 'attach', '--lun', '0', '--rw', '/var/lib/pikvm-agent/images/openqa-lun0-a b;$(reboot).img'],
  ], 'shell syntax in a job value arrives as data');
  t.match(k.stdout, new RegExp(`GENERAL_HW_CMD_DIR = ${k.out.replace(/[.]/g, '\\.')}`));
});

/** The printed block's sections as key → value maps (what workers.ini hands a job). */
function sections(ini: string): Array<Record<string, string>> {
  return ini
    .split(/^\[[0-9]+\]$/m)
    .slice(1)
    .map((text) => {
      const entries: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const m = /^([A-Z_0-9]+) = (.*)$/.exec(line);
        if (m) entries[m[1]!] = m[2]!;
      }
      return entries;
    });
}

t.test('the workers.ini blocks: no is-shutdown command, upstream rate, frames at the jobs\' screen size', async (t) => {
  const k = await kit(t, ['--host', 'root@pikvm.lab', '--power-on', 'on', '--power-off', 'off']);
  const [upstream, debian] = sections(k.stdout);
  t.match(upstream, {
    GENERAL_HW_VIDEO_CMD_PREFIX: `${k.out}/pikvm-remote`,
    GENERAL_HW_VIDEO_STREAM_URL: '/dev/video0', // no ?fps=: os-autoinst's default, 4
    VIDEO_STREAM_PIPE_BUFFER_SIZE: '4194304',
    GENERAL_HW_EJECT_CMD: 'pikvm-eject',
  });
  t.match(debian, { GENERAL_HW_VIDEO_STREAM_URL: 'http://pikvm.lab:8780/stream.nut?fps=2&size=1024x768', VIDEO_STREAM_PIPE_BUFFER_SIZE: '4194304' });
  t.notOk('GENERAL_HW_VIDEO_CMD_PREFIX' in debian, "Debian 12's os-autoinst has no prefix");
  for (const block of [upstream, debian]) t.notOk('GENERAL_HW_IS_SHUTDOWN_CMD' in block!, 'no GENERAL_HW_IS_SHUTDOWN_CMD');
  t.match(k.stdout, /autodie/, 'the block says why');

  const big = await kit(t, ['--host', 'root@pikvm.lab', '--power-on', 'on', '--power-off', 'off', '--video-size', '1920x1080']);
  t.match(sections(big.stdout)[1], { GENERAL_HW_VIDEO_STREAM_URL: 'http://pikvm.lab:8780/stream.nut?fps=2&size=1920x1080', VIDEO_STREAM_PIPE_BUFFER_SIZE: '8388608' });
  t.match(await fs.readFile(path.join(big.out, 'pikvm-remote'), 'utf8'), /--size 1920x1080/);
});

t.test('pipe size: one frame with its header, rounded up as the kernel rounds F_SETPIPE_SZ', async (t) => {
  t.equal(pipeBufferSize({ width: 1024, height: 768 }), 4 << 20, '2,359,316 bytes → 4 MiB');
  t.equal(pipeBufferSize({ width: 1920, height: 1080 }), 8 << 20, '6,220,820 bytes → 8 MiB');
  t.equal(pipeBufferSize({ width: 1680, height: 1050 }), 8 << 20, "os-autoinst's own default, 5,292,020 bytes → 8 MiB");
  t.equal(pipeBufferSize({ width: 640, height: 480 }), 1 << 20);
});

t.test('bad arguments are refused with the usage', async (t) => {
  for (const args of [
    ['--power-on', 'a', '--power-off', 'b'],
    ['--local', '--host', 'x', '--power-on', 'a', '--power-off', 'b'],
    ['--host', '-oProxyCommand=evil', '--power-on', 'a', '--power-off', 'b'],
    ['--host', 'pikvm;reboot', '--power-on', 'a', '--power-off', 'b'],
    ['--local', '--power-on', 'a'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--image-dir', 'relative'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--video-size', '1024'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--video-size', '8x8'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--video-size', '1024x768;reboot'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--off-timeout', '-1'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--off-timeout', '601'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--off-timeout', '1.5'],
  ]) {
    const k = await kit(t, args);
    t.equal(k.code, 2, args.join(' '));
    t.match(k.stderr, /usage: pikvm-agent worker-kit/);
  }
});

t.test("--token / --token-file: the agent's http.token in Debian 12's stream URL", async (t) => {
  const base = ['--host', 'root@pikvm.lab', '--power-on', 'on', '--power-off', 'off'];
  const given = await kit(t, [...base, '--token', 'abc-123']);
  t.equal(given.code, 0, given.stderr);
  t.match(sections(given.stdout)[1], { GENERAL_HW_VIDEO_STREAM_URL: 'http://pikvm.lab:8780/stream.nut?fps=2&size=1024x768&token=abc-123' });

  const file = path.join(given.dir, 'token');
  await fs.writeFile(file, 'from.file_1\n');
  const fromFile = await kit(t, [...base, '--token-file', file]);
  t.equal(fromFile.code, 0, fromFile.stderr);
  t.match(sections(fromFile.stdout)[1], { GENERAL_HW_VIDEO_STREAM_URL: 'http://pikvm.lab:8780/stream.nut?fps=2&size=1024x768&token=from.file_1' });

  const both = await kit(t, [...base, '--token', 'a', '--token-file', file]);
  t.equal(both.code, 2);
  t.match(both.stderr, 'give --token or --token-file, not both');
  const bad = await kit(t, [...base, '--token', 'a&b']);
  t.equal(bad.code, 2, 'a token that would need escaping in the URL is refused');
  const missing = await kit(t, [...base, '--token-file', path.join(given.dir, 'none')]);
  t.match(missing.stderr, `--token-file ${path.join(given.dir, 'none')}:`);
});
