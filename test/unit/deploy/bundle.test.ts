/**
 * Real bundles for the PiKVM architectures: `npm ci` for the target CPU from the npm registry (cached
 * per lock file under .cache/bundle, so reruns do not download), packed with tar, then unpacked and
 * inspected here: the target's sharp/libvips/koffi packages are in, this machine's x86-64 ones are
 * not, and the native addons are ELF objects for the target's machine.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBundle } from '../../../agent/deploy/bundle';
import { CLI_ENTRY } from '../../../agent/deploy/layout';
import { processRunner } from '../../../agent/deploy/runner';
import { recordingLogger } from '../../../agent/log';
import { elfMachineOf, makeSourceTree, REPO, standIn } from './fixtures/deploy-kit';

const CACHE = path.join(REPO, '.cache', 'bundle');

async function tempDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-bundle-test-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function listNodeFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.node')).map((e) => path.join(e.parentPath, e.name));
}

const CASES = [
  { arch: 'armv7h', cpu: 'arm', machine: 40 /* EM_ARM */ },
  { arch: 'aarch64', cpu: 'arm64', machine: 183 /* EM_AARCH64 */ },
] as const;

for (const c of CASES) {
  t.test(`bundle for ${c.arch}: the ${c.cpu} native packages, no x64 ones, addons built for the target`, async (t) => {
    const dir = await tempDir(t);
    const source = path.join(dir, 'source');
    await fs.mkdir(source);
    await makeSourceTree(source, 'console.log("cli");\n');
    const out = path.join(dir, 'out', `pikvm-agent-${c.arch}.tar.gz`);
    const logger = recordingLogger();
    const result = await createBundle({ sourceDir: source, arch: c.arch, out, cacheDir: CACHE, runner: processRunner(), logger });
    t.equal(result.out, out);

    const unpacked = path.join(dir, 'unpacked');
    await fs.mkdir(unpacked);
    execFileSync('tar', ['-xzf', out, '-C', unpacked]);
    t.same(await fs.readdir(unpacked), ['pikvm-agent'], 'one top directory');
    const top = path.join(unpacked, 'pikvm-agent');
    t.same(
      (await fs.readdir(top)).sort(),
      ['bundle.json', 'config', 'dist', 'edid', 'nginx', 'node_modules', 'package-lock.json', 'package.json', 'systemd'],
    );
    const manifest = JSON.parse(await fs.readFile(path.join(top, 'bundle.json'), 'utf8'));
    t.equal(manifest.arch, c.arch);
    t.equal(manifest.version, JSON.parse(await fs.readFile(path.join(REPO, 'package.json'), 'utf8')).version);
    t.equal(await fs.readFile(path.join(top, CLI_ENTRY), 'utf8'), 'console.log("cli");\n');
    t.equal(await fs.readFile(path.join(top, 'systemd/pikvm-agent.service'), 'utf8'), await fs.readFile(path.join(REPO, 'systemd/pikvm-agent.service'), 'utf8'));

    const nm = path.join(top, 'node_modules');
    for (const pkg of [`@img/sharp-linux-${c.cpu}`, `@img/sharp-libvips-linux-${c.cpu}`, `@koromix/koffi-linux-${c.cpu}`, 'sharp', 'koffi', 'express', 'yaml']) {
      t.ok((await fs.stat(path.join(nm, pkg, 'package.json'))).isFile(), `${pkg} is in the tree`);
    }
    for (const pkg of ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64', '@koromix/koffi-linux-x64', '@img/sharp-linuxmusl-arm64', 'typescript', 'tap']) {
      await t.rejects(fs.access(path.join(nm, pkg)), `${pkg} is not`);
    }
    const addons = [...(await listNodeFiles(path.join(nm, `@img/sharp-linux-${c.cpu}`))), ...(await listNodeFiles(path.join(nm, `@koromix/koffi-linux-${c.cpu}`)))];
    t.ok(addons.length >= 2, `native addons found: ${addons.map((a) => path.relative(nm, a)).join(', ')}`);
    for (const a of addons) t.equal(await elfMachineOf(a), c.machine, `${path.relative(nm, a)} is an ELF for ${c.arch}`);
    const libvips = (await fs.readdir(path.join(nm, `@img/sharp-libvips-linux-${c.cpu}/lib`))).filter((f) => f.startsWith('libvips'));
    t.ok(libvips.length > 0, 'libvips shared library present');
    for (const f of libvips) t.equal(await elfMachineOf(path.join(nm, `@img/sharp-libvips-linux-${c.cpu}/lib`, f)), c.machine, `${f} for ${c.arch}`);

    if (c.arch !== 'armv7h') return; // the cache is checked once: packing twice costs seconds
    // A second bundle comes from the cache and has the same node_modules.
    const again = await createBundle({ sourceDir: source, arch: c.arch, out: path.join(dir, 'again.tar.gz'), cacheDir: CACHE, runner: processRunner(), logger });
    t.equal(again.cached, true, 'second run uses the cache');
    const list = (file: string) => execFileSync('tar', ['-tzf', file], { maxBuffer: 64 << 20 }).toString().split('\n').filter((l) => l.includes('/node_modules/')).sort();
    t.same(list(path.join(dir, 'again.tar.gz')), list(out));
  });
}

t.test('a tree without the target packages fails clearly; nothing is written or cached', async (t) => {
  const dir = await tempDir(t);
  const source = path.join(dir, 'source');
  await fs.mkdir(source);
  await makeSourceTree(source);
  const bin = path.join(dir, 'bin');
  await fs.mkdir(bin);
  // An npm that ignores --cpu: installs this machine's x64 build only.
  await standIn({ bin, log: path.join(dir, 'npm.log') }, 'npm', 'mkdir -p node_modules/sharp node_modules/@img/sharp-linux-x64 && echo "{}" > node_modules/sharp/package.json\n');
  const runner = processRunner({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` });
  const cacheDir = path.join(dir, 'cache');
  const out = path.join(dir, 'b.tar.gz');
  await t.rejects(
    createBundle({ sourceDir: source, arch: 'armv7h', out, cacheDir, runner, logger: recordingLogger() }),
    /node_modules is not a armv7h tree: missing @img\/sharp-linux-arm, @img\/sharp-libvips-linux-arm, @koromix\/koffi-linux-arm; packages for another architecture: @img\/sharp-linux-x64/,
  );
  const npmCall = (await fs.readFile(path.join(dir, 'npm.log'), 'utf8')).split('\x1f');
  t.same(npmCall.slice(1, -1), ['ci', '--omit=dev', '--ignore-scripts', '--os=linux', '--cpu=arm', '--libc=glibc', '--no-audit', '--no-fund']);
  await t.rejects(fs.access(out));
  await t.rejects(fs.access(cacheDir), 'a bad tree is not cached');
});

t.test('bundling before `npm run build` says so', async (t) => {
  const dir = await tempDir(t);
  await makeSourceTree(dir);
  await fs.rm(path.join(dir, 'dist'), { recursive: true });
  await t.rejects(
    createBundle({ sourceDir: dir, arch: 'aarch64', out: path.join(dir, 'x.tar.gz'), runner: processRunner(), logger: recordingLogger() }),
    { code: 'not-found', message: /dist\/agent\/cli\/pikvm-agent\.js is missing: run `npm run build`/ },
  );
});
