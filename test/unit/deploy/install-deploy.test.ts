/**
 * `deploy` against stand-ins for ssh and scp that run "remotely" on this machine: ssh runs the
 * remote command line through bash as sshd does, scp copies. The bundle is a staged tree whose
 * The CLI stand-in records the arguments it is started with, so the test sees exactly what the PiKVM would run.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { deploy, type DeployOptions } from '../../../agent/deploy/deploy';
import { processRunner } from '../../../agent/deploy/runner';
import { CLI_ENTRY } from '../../../agent/deploy/layout';
import type { TargetArch } from '../../../agent/deploy/targets';
import { makeBundleDir, sq, standIn, workspace } from './fixtures/deploy-kit';

const HOST = 'root@pikvm.lab';

async function remoteSetup(t: Test, machine = 'armv7l', longBit = '32') {
  const w = await workspace();
  t.teardown(() => w.cleanup());
  const remoteTmp = path.join(w.dir, 'remote-tmp');
  await fs.mkdir(remoteTmp);
  const agentLog = path.join(w.dir, 'agent-calls.log');
  // ssh [-o X]… -- HOST COMMAND: the remote shell runs COMMAND (one argument from us).
  await standIn(w, 'ssh', `while [ "$1" != "--" ]; do shift; done; shift\n[ "$1" = ${sq(HOST)} ] || { echo "unknown host $1" >&2; exit 255; }\nexec bash -c "$2"\n`);
  await standIn(w, 'scp', `dest="\${@: -1}"; src="\${@: -2:1}"; exec cp -- "$src" "\${dest#${HOST}:}"\n`);
  await standIn(w, 'uname', `echo ${sq(machine)}\n`);
  await standIn(w, 'getconf', `echo ${sq(longBit)}\n`);
  const runner = processRunner({ ...process.env, PATH: `${w.bin}:${process.env.PATH ?? ''}`, TMPDIR: remoteTmp });
  const bundled: { arch: TargetArch; out: string }[] = [];
  let output = '';
  // The stand-in agent CLI in the bundle: records argv and where it runs from.
  const cliJs = `require('fs').appendFileSync(${JSON.stringify(agentLog)}, JSON.stringify({ argv: process.argv.slice(2), script: __filename }) + '\\n');\nconsole.log('installed ok');\n`;
  const deps = {
    runner,
    logger: w.logger,
    output: (s: string) => void (output += s),
    bundle: async (arch: TargetArch, out: string) => {
      bundled.push({ arch, out });
      const staged = path.join(w.dir, `staged-${bundled.length}`);
      await makeBundleDir(staged, arch, cliJs);
      execFileSync('tar', ['-czf', out, '-C', staged, 'pikvm-agent']);
    },
  };
  const agentCalls = async () =>
    (await fs.readFile(agentLog, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { argv: string[]; script: string });
  return { w, remoteTmp, deps, bundled, agentCalls, output: () => output };
}

const base: DeployOptions = { host: HOST, arch: 'auto', remove: false, purge: false };

t.test('deploy: detect the architecture, bundle, copy, install with quoted paths, clean up both sides', async (t) => {
  const r = await remoteSetup(t);
  const remoteRoot = path.join(r.w.dir, "image root's tree");
  await deploy({ ...base, remoteRoot }, r.deps);

  t.same(r.bundled.map((b) => b.arch), ['armv7h'], 'armv7l → armv7h');
  const agent = await r.agentCalls();
  t.same(agent.map((a) => a.argv), [['install', '--root', remoteRoot]], 'the remote install got the path as one argument');
  const remoteDir = agent[0]!.script.slice(0, -`/pikvm-agent/${CLI_ENTRY}`.length);
  t.equal(path.dirname(remoteDir), r.remoteTmp, 'unpacked in a fresh temporary directory on the PiKVM');
  t.match(r.output(), /installed ok/);

  const calls = (await r.w.calls()).filter((c) => c[0] === 'ssh' || c[0] === 'scp');
  const opts = ['-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=10', '--'];
  t.same(calls, [
    ['ssh', ...opts, HOST, 'uname -m && getconf LONG_BIT'],
    ['ssh', ...opts, HOST, 'mktemp -d -t pikvm-agent-deploy.XXXXXXXX'],
    ['scp', '-q', ...opts, r.bundled[0]!.out, `${HOST}:${remoteDir}/bundle.tar.gz`],
    ['ssh', ...opts, HOST, `tar -xzf '${remoteDir}/bundle.tar.gz' -C '${remoteDir}' && node '${remoteDir}/pikvm-agent/${CLI_ENTRY}' install --root ${sq(remoteRoot)}`],
    ['ssh', ...opts, HOST, `rm -rf -- '${remoteDir}'`],
  ]);
  t.same(await fs.readdir(r.remoteTmp), [], 'remote temporary directory removed');
  await t.rejects(fs.access(r.bundled[0]!.out), 'local bundle removed');
});

t.test('deploy --arch aarch64 skips detection; a failing install still cleans up and fails', async (t) => {
  const r = await remoteSetup(t);
  await deploy({ ...base, arch: 'aarch64' }, r.deps);
  t.same(r.bundled.map((b) => b.arch), ['aarch64']);
  t.notOk((await r.w.calls()).some((c) => c.some((a) => a.startsWith('uname'))), 'no uname over ssh');
  t.same((await r.agentCalls()).map((a) => a.argv), [['install']]);

  await standIn(r.w, 'node', 'echo "pikvm-agent install: node too old" >&2; exit 1\n');
  await t.rejects(deploy({ ...base, arch: 'aarch64' }, r.deps), /ssh .* failed \(exit 1\): pikvm-agent install: node too old/);
  t.match((await r.w.calls()).at(-1), ['ssh', '-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=10', '--', HOST, /^rm -rf -- '/]);
  t.same(await fs.readdir(r.remoteTmp), [], 'cleaned up after the failure');
});

t.test('a 32-bit userland on a 64-bit kernel gets armv7h; a 64-bit one aarch64', async (t) => {
  const r32 = await remoteSetup(t, 'aarch64', '32');
  await deploy(base, r32.deps);
  const r64 = await remoteSetup(t, 'aarch64', '64');
  await deploy(base, r64.deps);
  t.same([...r32.bundled, ...r64.bundled].map((b) => b.arch), ['armv7h', 'aarch64']);
});

t.test('deploy to an unsupported machine fails before bundling', async (t) => {
  const r = await remoteSetup(t, 'mips');
  await t.rejects(deploy(base, r.deps), { code: 'not-supported', message: /"mips"/ });
  t.same(r.bundled, []);
});

t.test('deploy --remove runs the installed uninstall, or says it is not installed', async (t) => {
  const r = await remoteSetup(t);
  const remoteRoot = path.join(r.w.dir, 'pikvm root');
  await deploy({ ...base, remove: true, purge: true, remoteRoot }, r.deps);
  t.match(r.output(), /pikvm-agent is not installed/);
  t.same(await r.agentCalls(), []);

  const cli = path.join(remoteRoot, 'usr/lib/pikvm-agent', CLI_ENTRY);
  await fs.mkdir(path.dirname(cli), { recursive: true });
  await fs.writeFile(cli, `require('fs').appendFileSync(${JSON.stringify(path.join(r.w.dir, 'agent-calls.log'))}, JSON.stringify({ argv: process.argv.slice(2), script: __filename }) + '\\n');\n`);
  await deploy({ ...base, remove: true, purge: true, remoteRoot }, r.deps);
  await deploy({ ...base, remove: true, remoteRoot }, r.deps);
  t.same((await r.agentCalls()).map((a) => a.argv), [
    ['uninstall', '--purge', '--root', remoteRoot],
    ['uninstall', '--root', remoteRoot],
  ]);
  t.same(r.bundled, [], 'removing builds no bundle');
});

t.test('hosts that could be read as options or shell, and --purge without --remove, are refused', async (t) => {
  const r = await remoteSetup(t);
  for (const host of ['-oProxyCommand=touch /tmp/x', 'pikvm;reboot', 'a b']) {
    await t.rejects(deploy({ ...base, host }, r.deps), /--host must be an ssh destination/);
  }
  await t.rejects(deploy({ ...base, purge: true }, r.deps), /--purge goes with --remove/);
  await t.rejects(deploy({ ...base, remoteRoot: 'relative' }, r.deps), /must be an absolute path/);
  t.same(await r.w.calls(), [], 'nothing was run');
});
