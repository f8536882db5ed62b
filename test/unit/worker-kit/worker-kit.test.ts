/**
 * The generated worker scripts, run by bash as os-autoinst runs them (argument vectors, no shell),
 * against stand-ins for `pikvm-agent`, `ssh` and `scp` that record the argument vectors they get.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runWorkerKit } from '../../../agent/worker-kit/cli';
import { shellQuote } from '../../../agent/worker-kit/scripts';

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
    ['ctl', 'sim', 'power', 'off'],
    ['ctl', 'sim', 'power', 'on'],
    ['--reflink=auto', '--', "/var/lib/openqa/pool/1/my disk's.qcow2", "/srv/images dir/openqa-lun0-my disk's.qcow2"],
    ['ctl', 'storage', 'attach', '--lun', '0', '--rw', "/srv/images dir/openqa-lun0-my disk's.qcow2"],
    ['--reflink=auto', '--', '/pool/second.img', '/srv/images dir/openqa-lun1-second.img'],
    ['ctl', 'storage', 'attach', '--lun', '1', '--rw', '/srv/images dir/openqa-lun1-second.img'],
    ['ctl', 'storage', 'eject', '--lun', '1'],
  ]);
});

t.test('is-shutdown inverts the agent signal; a failing agent call fails the script', async (t) => {
  const k = await kit(t, ['--local', '--power-on', 'on', '--power-off', 'off']);
  await recorder(k.bin, 'pikvm-agent', k.log, 'exit 0\n');
  await t.rejects(k.exec('pikvm-is-shutdown', []), { code: 1 }, 'signal present → not shut down');
  await recorder(k.bin, 'pikvm-agent', k.log, 'exit 1\n');
  await t.resolves(k.exec('pikvm-is-shutdown', []), 'no signal → shut down');
  await recorder(k.bin, 'pikvm-agent', k.log, 'echo "error: forbidden outside" ; exit 1\n');
  await t.rejects(k.exec('pikvm-flash', ['/x.img', '1G']), 'a refused attach fails the flash');
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
  await k.exec('pikvm-remote', ['ffmpeg', '-loglevel', 'fatal', '-i', '/dev/video0', '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '2', '-']);
  await k.exec('pikvm-flash', ['/pool/a b;$(reboot).img', '1G']);
  t.same(await calls(k.log), [
    ['ffmpeg', '-loglevel', 'fatal', '-i', '/dev/video0', '-vcodec', 'ppm', '-f', 'rawvideo', '-r', '2', '-'],
    ['-q', '-o', 'BatchMode=yes', '--', '/pool/a b;$(reboot).img', 'root@pikvm.lab:/var/lib/pikvm-agent/images/openqa-lun0-a b;$(reboot).img'],
    ['ctl', 'storage', 'attach', '--lun', '0', '--rw', '/var/lib/pikvm-agent/images/openqa-lun0-a b;$(reboot).img'],
  ], 'shell syntax in a job value arrives as data');
  t.match(k.stdout, /GENERAL_HW_VIDEO_CMD_PREFIX = .*\/pikvm-remote/);
  t.match(k.stdout, /GENERAL_HW_VIDEO_STREAM_URL = http:\/\/pikvm\.lab:8780\/stream\.nut\?fps=2/);
  t.match(k.stdout, new RegExp(`GENERAL_HW_CMD_DIR = ${k.out.replace(/[.]/g, '\\.')}`));
});

t.test('bad arguments are refused with the usage', async (t) => {
  for (const args of [
    ['--power-on', 'a', '--power-off', 'b'],
    ['--local', '--host', 'x', '--power-on', 'a', '--power-off', 'b'],
    ['--host', '-oProxyCommand=evil', '--power-on', 'a', '--power-off', 'b'],
    ['--host', 'pikvm;reboot', '--power-on', 'a', '--power-off', 'b'],
    ['--local', '--power-on', 'a'],
    ['--local', '--power-on', 'a', '--power-off', 'b', '--image-dir', 'relative'],
  ]) {
    const k = await kit(t, args);
    t.equal(k.code, 2, args.join(' '));
    t.match(k.stderr, /usage: pikvm-agent worker-kit/);
  }
});
