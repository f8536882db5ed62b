/**
 * install/uninstall into a temporary PiKVM-like root, with recording stand-ins for systemctl, rw and
 * ro on PATH: the resulting tree and modes, the kept configuration, the order of system commands,
 * `ro` after a failure, and that uninstall removes exactly what install added.
 */
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { install, type InstallOptions } from '../../../agent/deploy/install';
import { uninstall } from '../../../agent/deploy/uninstall';
import { runDeployCommand } from '../../../agent/cli/deploy';
import { CLI_ENTRY } from '../../../agent/deploy/layout';
import { loadConfig } from '../../../agent/config';
import { makeBundleDir, makeRootSkeleton, snapshot, standIn, workspace, type Workspace } from './fixtures/deploy-kit';

interface Setup {
  w: Workspace;
  root: string;
  bundle: string;
  options: InstallOptions;
  deps: { runner: Workspace['runner']; logger: Workspace['logger'] };
}

async function setup(t: Test): Promise<Setup> {
  const w = await workspace();
  t.teardown(() => w.cleanup());
  const root = path.join(w.dir, 'root');
  await makeRootSkeleton(root);
  const bundle = await makeBundleDir(path.join(w.dir, 'unpacked'), 'x86_64');
  return { w, root, bundle, options: { bundleDir: bundle, root, node: process.execPath, cpu: 'x64' }, deps: { runner: w.runner, logger: w.logger } };
}

const added = (before: Record<string, string>, after: Record<string, string>) => Object.keys(after).filter((k) => !(k in before));
const modeOf = async (file: string) => ((await fs.stat(file)).mode & 0o7777).toString(8);

t.test('fresh install: every file in place with its mode, then systemd in order, rw first and ro last', async (t) => {
  const s = await setup(t);
  await s.w.flag('units/kvmd-nginx.service');
  const before = await snapshot(s.root);
  const report = await install(s.options, s.deps);
  t.equal(report.configKept, false);
  t.equal(report.nginxRestarted, true);
  t.equal(report.version, '9.8.7');

  const after = await snapshot(s.root);
  const top = added(before, after).filter((p) => !/^usr\/lib\/pikvm-agent\/.|^etc\/pikvm-agent\/.|^var\/lib\/pikvm-agent\/.|^usr\/share\/kvmd\/extras\/pikvm-agent\/./.test(p));
  t.same(top.sort(), ['etc/pikvm-agent', 'etc/systemd/system/pikvm-agent.service', 'usr/bin/pikvm-agent', 'usr/lib/pikvm-agent', 'usr/share/kvmd/extras/pikvm-agent', 'var/lib/pikvm-agent'].sort());
  for (const p of Object.keys(before)) t.equal(after[p], before[p], `untouched: ${p}`);
  t.same(
    added(before, after).filter((p) => p.startsWith('etc/pikvm-agent/') || p.startsWith('var/lib/pikvm-agent/') || p.startsWith('usr/share/kvmd/extras/pikvm-agent/')).sort(),
    [
      'etc/pikvm-agent/agent.d',
      'etc/pikvm-agent/agent.yaml',
      'etc/pikvm-agent/edid',
      'etc/pikvm-agent/edid/1024x768.hex',
      'etc/pikvm-agent/edid/1280x1024.hex',
      'etc/pikvm-agent/edid/1920x1080.hex',
      'etc/pikvm-agent/edid/README.md',
      'etc/pikvm-agent/kickstart',
      'etc/pikvm-agent/kickstart/example.cfg',
      'usr/share/kvmd/extras/pikvm-agent/manifest.yaml',
      'usr/share/kvmd/extras/pikvm-agent/nginx.ctx-server.conf',
      'var/lib/pikvm-agent/images',
    ].sort(),
  );
  t.same(
    (await fs.readdir(path.join(s.root, 'usr/lib/pikvm-agent'))).sort(),
    ['bundle.json', 'dist', 'node_modules', 'package.json'],
    'the program tree holds exactly the runtime entries',
  );
  t.equal(after['usr/bin/pikvm-agent']?.slice(0, 5), 'f 755');
  t.equal(after['etc/systemd/system/pikvm-agent.service']?.slice(0, 5), 'f 644');
  t.equal(after['etc/pikvm-agent/agent.yaml']?.slice(0, 5), 'f 640');
  t.equal(after['usr/share/kvmd/extras/pikvm-agent/nginx.ctx-server.conf']?.slice(0, 5), 'f 644');
  t.equal(after['var/lib/pikvm-agent/images'], 'd 755');

  t.equal(await fs.readFile(path.join(s.root, 'etc/systemd/system/pikvm-agent.service'), 'utf8'), await fs.readFile(path.join(s.bundle, 'systemd/pikvm-agent.service'), 'utf8'));
  t.equal(await fs.readFile(path.join(s.root, 'etc/pikvm-agent/edid/1024x768.hex'), 'utf8'), await fs.readFile(path.join(s.bundle, 'edid/1024x768.hex'), 'utf8'));
  const wrapper = await fs.readFile(path.join(s.root, 'usr/bin/pikvm-agent'), 'utf8');
  t.match(wrapper, /^#!\/bin\/sh\n/);
  t.match(wrapper, /\nexec \/usr\/bin\/node \/usr\/lib\/pikvm-agent\/dist\/agent\/cli\/pikvm-agent\.js "\$@"\n$/, 'system paths, not the test root');

  t.same(await s.w.calls(), [
    ['rw'],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'enable', 'pikvm-agent.service'],
    ['systemctl', 'restart', 'pikvm-agent.service'],
    ['systemctl', 'list-unit-files', '--no-legend', 'kvmd-nginx.service'],
    ['systemctl', 'restart', 'kvmd-nginx.service'],
    ['ro'],
  ]);
});

t.test('the default configuration is valid, gives the sockets to kvmd and points nginx at http.sock', async (t) => {
  const s = await setup(t);
  await install(s.options, s.deps);
  const config = await loadConfig({ configFile: path.join(s.root, 'etc/pikvm-agent/agent.yaml'), explicit: true, env: {}, overrides: [] });
  t.equal(config.control.group, 'kvmd');
  t.equal(config.http.unix_socket, '/run/pikvm-agent/http.sock');
  const nginx = await fs.readFile(path.join(s.root, 'usr/share/kvmd/extras/pikvm-agent/nginx.ctx-server.conf'), 'utf8');
  t.ok(nginx.includes(`unix:${config.http.unix_socket}`), 'the add-on proxies to the configured socket');
});

t.test('without kvmd-nginx the add-on is installed but nothing is restarted for it', async (t) => {
  const s = await setup(t);
  const report = await install(s.options, s.deps);
  t.equal(report.nginxRestarted, false);
  t.notOk((await s.w.calls()).some((c) => c.includes('kvmd-nginx.service') && c[1] === 'restart'));
  t.equal(await modeOf(path.join(s.root, 'usr/share/kvmd/extras/pikvm-agent/manifest.yaml')), '644');
});

t.test("a user's configuration and kickstart example are never overwritten; an upgrade replaces the program", async (t) => {
  const s = await setup(t);
  await install(s.options, s.deps);
  const mine = 'control:\n  group: wheel\n';
  await fs.writeFile(path.join(s.root, 'etc/pikvm-agent/agent.yaml'), mine);
  await fs.writeFile(path.join(s.root, 'etc/pikvm-agent/kickstart/example.cfg'), 'my edits\n');
  await fs.writeFile(path.join(s.root, 'etc/pikvm-agent/kickstart/ks.cfg'), 'lang en_US\n');
  await fs.writeFile(path.join(s.root, 'usr/lib/pikvm-agent/dist/stale.js'), 'old file');
  await fs.writeFile(path.join(s.bundle, CLI_ENTRY), 'console.log("new version");\n');

  const report = await install(s.options, s.deps);
  t.equal(report.configKept, true);
  t.equal(await fs.readFile(path.join(s.root, 'etc/pikvm-agent/agent.yaml'), 'utf8'), mine);
  t.equal(await fs.readFile(path.join(s.root, 'etc/pikvm-agent/kickstart/example.cfg'), 'utf8'), 'my edits\n');
  t.equal(await fs.readFile(path.join(s.root, 'etc/pikvm-agent/kickstart/ks.cfg'), 'utf8'), 'lang en_US\n');
  t.equal(await fs.readFile(path.join(s.root, 'usr/lib/pikvm-agent', CLI_ENTRY), 'utf8'), 'console.log("new version");\n');
  await t.rejects(fs.access(path.join(s.root, 'usr/lib/pikvm-agent/dist/stale.js')), 'files of the old version are gone');
  t.same((await fs.readdir(path.join(s.root, 'usr/lib'))).sort(), ['kvmd', 'pikvm-agent'], 'no .new/.old left behind');
});

t.test('ro runs even when a step fails, and the error names the failed command', async (t) => {
  const s = await setup(t);
  await s.w.flag('fail-systemctl-enable');
  await t.rejects(install(s.options, s.deps), /systemctl enable pikvm-agent\.service failed \(exit 1\): Failed to enable unit/);
  const calls = await s.w.calls();
  t.same(calls[0], ['rw']);
  t.same(calls.at(-1), ['ro']);
  t.notOk(calls.some((c) => c[1] === 'restart'), 'nothing after the failed step');
});

t.test('a file step failing (bundle without nginx/) also ends with ro; a failing ro does not hide it', async (t) => {
  const s = await setup(t);
  await fs.rm(path.join(s.bundle, 'nginx'), { recursive: true });
  await s.w.flag('fail-ro');
  await t.rejects(install(s.options, s.deps), { code: 'ENOENT' });
  t.same(await s.w.calls(), [['rw'], ['ro']]);
  t.ok(s.w.logger.records.some((r) => r.level === 'warn' && /read-only/.test(r.message)), 'the ro failure is logged');
});

t.test('without rw/ro on PATH the root is used as it is', async (t) => {
  const s = await setup(t);
  await fs.rm(path.join(s.w.bin, 'rw'));
  await fs.rm(path.join(s.w.bin, 'ro'));
  await install(s.options, s.deps);
  t.same((await s.w.calls()).map((c) => c[0]), ['systemctl', 'systemctl', 'systemctl', 'systemctl']);
});

t.test('Node.js older than 20 or missing, or a bundle for another machine: refused before anything changes', async (t) => {
  const s = await setup(t);
  const before = await snapshot(s.root);
  await standIn(s.w, 'old-node', 'echo v18.19.1\n');
  await t.rejects(install({ ...s.options, node: path.join(s.w.bin, 'old-node') }, s.deps), /is v18\.19\.1; pikvm-agent needs Node\.js >= 20: .*pacman -S nodejs npm/);
  await t.rejects(install({ ...s.options, node: path.join(s.w.bin, 'no-such-node') }, s.deps), { code: 'not-found', message: /does not work.*pacman -S nodejs npm/ });
  await t.rejects(install({ ...s.options, cpu: 'arm' }, s.deps), /this bundle is for x86_64, this machine's Node\.js is arm: .*--arch armv7h/);
  await t.rejects(install({ ...s.options, cpu: 'ia32' }, s.deps), /is ia32: no bundle exists for it/);
  t.same(await snapshot(s.root), before);
  t.same((await s.w.calls()).map((c) => c[0]), ['old-node'], 'no rw, no systemctl');
});

t.test('uninstall removes exactly what install added, keeps configuration and images, is idempotent', async (t) => {
  const s = await setup(t);
  await s.w.flag('units/kvmd-nginx.service');
  const before = await snapshot(s.root);
  await install(s.options, s.deps);
  await fs.writeFile(path.join(s.root, 'var/lib/pikvm-agent/images/disk.img'), 'image');
  const installed = await snapshot(s.root);
  await fs.writeFile(s.w.log, '');

  const report = await uninstall({ root: s.root, purge: false }, s.deps);
  t.equal(report.nginxRestarted, true);
  const after = await snapshot(s.root);
  const kept = Object.keys(installed).filter((p) => p.startsWith('etc/pikvm-agent') || p.startsWith('var/lib/pikvm-agent'));
  t.same(after, { ...before, ...Object.fromEntries(kept.map((p) => [p, installed[p]!])) }, 'the skeleton plus /etc/pikvm-agent and the images');
  t.ok(kept.includes('var/lib/pikvm-agent/images/disk.img'));
  t.same(await s.w.calls(), [
    ['rw'],
    ['systemctl', 'disable', '--now', 'pikvm-agent.service'],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'list-unit-files', '--no-legend', 'kvmd-nginx.service'],
    ['systemctl', 'restart', 'kvmd-nginx.service'],
    ['ro'],
  ]);

  await fs.writeFile(s.w.log, '');
  const again = await uninstall({ root: s.root, purge: false }, s.deps);
  t.same(again.removed, []);
  t.same(await snapshot(s.root), after, 'a second uninstall changes nothing');
  t.same(await s.w.calls(), [['rw'], ['systemctl', 'daemon-reload'], ['ro']], 'no disable of a unit that is gone, no nginx restart');
});

t.test('uninstall --purge leaves the root exactly as before install', async (t) => {
  const s = await setup(t);
  const before = await snapshot(s.root);
  await install(s.options, s.deps);
  await fs.writeFile(path.join(s.root, 'var/lib/pikvm-agent/images/disk.img'), 'image');
  await uninstall({ root: s.root, purge: true }, s.deps);
  t.same(await snapshot(s.root), before);
  await t.resolves(uninstall({ root: s.root, purge: true }, s.deps), 'idempotent with --purge too');
});

t.test('the CLI: install/uninstall --root with exit codes and messages; bad arguments give the usage', async (t) => {
  const s = await setup(t);
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (x: string) => (stdout += x) }, stderr: { write: (x: string) => (stderr += x) } };
  const env = { runner: s.w.runner, logger: s.w.logger, packageRoot: s.bundle, cpu: 'x64', nodeForRoot: process.execPath };
  t.equal(await runDeployCommand('install', ['--root', s.root], io, env), 0, stderr);
  t.match(stdout, /pikvm-agent 9\.8\.7 installed \(Node\.js v\d+\.\d+\.\d+\); configuration created: \/etc\/pikvm-agent\/agent\.yaml/);
  t.ok((await fs.stat(path.join(s.root, 'usr/bin/pikvm-agent'))).isFile());
  t.equal(await runDeployCommand('uninstall', ['--root', s.root, '--purge'], io, env), 0, stderr);
  t.match(stdout, /pikvm-agent removed/);
  t.equal(await runDeployCommand('uninstall', ['--root', s.root], io, env), 0);
  t.match(stdout, /pikvm-agent was not installed\n$/);
  t.equal(await runDeployCommand('install', ['--bogus'], io, env), 2);
  t.match(stderr, /^pikvm-agent: unknown option --bogus\nusage: pikvm-agent install \[--root DIR\]\n/);
  stderr = '';
  t.equal(await runDeployCommand('install', ['--root', s.root], io, { ...env, cpu: 'arm64' }), 1);
  t.match(stderr, /^pikvm-agent: this bundle is for x86_64/);
});
