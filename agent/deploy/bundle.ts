/**
 * `pikvm-agent bundle`: a self-contained tar.gz of the agent for one PiKVM architecture, built on any
 * Linux machine. The archive holds one directory, `pikvm-agent/`:
 *
 *   dist/agent/  the compiled daemon and CLI (`npm run build` first)
 *   node_modules/  production dependencies with the TARGET's prebuilt native packages
 *   package.json  package-lock.json  bundle.json (name, version, arch, lock file hash)
 *   systemd/  nginx/  edid/  config/agent.yaml  config/kickstart/example.cfg
 *
 * node_modules comes from `npm ci --omit=dev --ignore-scripts --os=linux --cpu=<cpu> --libc=glibc`
 * in the staging directory: npm then installs the optional packages of the target platform instead
 * of this machine's (npm 11 filters optional dependencies by these flags; an npm that ignores them
 * is caught by verifyNativeTree). Install scripts are skipped: they would build or check for the
 * build machine (koffi and sharp load their prebuilt package at run time without them). The result
 * is cached per lock file and architecture under `.cache/bundle/`, so a rebuild downloads nothing.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentError, fromErrno } from '../errors';
import type { Logger } from '../log';
import { DEFAULT_CONFIG_YAML, EXAMPLE_KICKSTART, EXAMPLE_KICKSTART_TEXT } from './defaults';
import { type NativeReport, verifyNativeTree } from './native-check';
import { type CommandRunner, runChecked } from './runner';
import { CLI_ENTRY } from './layout';
import { TARGETS, type TargetArch } from './targets';

export const BUNDLE_TOP = 'pikvm-agent';
export const BUNDLE_MANIFEST = 'bundle.json';

/** Copied from the source tree as they are. */
const SHIPPED = ['package.json', 'package-lock.json', 'systemd', 'nginx', 'edid'] as const;

export interface BundleManifest {
  name: string;
  version: string;
  arch: TargetArch;
  npmCpu: string;
  lockfileSha256: string;
  nativePackages: string[];
}

export interface BundleOptions {
  /** The repository: package.json, package-lock.json, dist/ (built), systemd/, nginx/, edid/. */
  sourceDir: string;
  arch: TargetArch;
  /** The .tar.gz to write. */
  out: string;
  /** Where staged node_modules are kept per lock file and architecture; default <sourceDir>/.cache/bundle. */
  cacheDir?: string;
  runner: CommandRunner;
  logger: Logger;
}

export interface BundleResult {
  out: string;
  manifest: BundleManifest;
  native: NativeReport;
  /** Whether node_modules came from the cache. */
  cached: boolean;
}

export function npmCiArgs(arch: TargetArch): string[] {
  return ['ci', '--omit=dev', '--ignore-scripts', '--os=linux', `--cpu=${TARGETS[arch].npmCpu}`, '--libc=glibc', '--no-audit', '--no-fund'];
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw fromErrno(e, `cannot read ${file}`);
  }
}

/** Cache key: the lock file, the architecture and the exact npm arguments. */
function cacheKey(lockfile: Buffer, arch: TargetArch): string {
  return createHash('sha256').update(lockfile).update('\0').update(npmCiArgs(arch).join(' ')).digest('hex').slice(0, 16);
}

async function stageNodeModules(o: BundleOptions, top: string, lockfile: Buffer): Promise<boolean> {
  const cacheRoot = o.cacheDir ?? path.join(o.sourceDir, '.cache', 'bundle');
  const cached = path.join(cacheRoot, `${o.arch}-${cacheKey(lockfile, o.arch)}`, 'node_modules');
  if (await exists(cached)) {
    o.logger.info('node_modules from cache', { arch: o.arch, cache: cached });
    await fs.cp(cached, path.join(top, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    return true;
  }
  o.logger.info('installing production dependencies', { arch: o.arch, npm: npmCiArgs(o.arch).join(' ') });
  await runChecked(o.runner, 'npm', npmCiArgs(o.arch), { cwd: top });
  await verifyNativeTree(path.join(top, 'node_modules'), o.arch);
  // Fill the cache through a temporary sibling and a rename, so a crash never leaves half a tree.
  const partial = `${path.dirname(cached)}.partial-${process.pid}`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.mkdir(partial, { recursive: true });
  await fs.cp(path.join(top, 'node_modules'), path.join(partial, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  await fs.rename(partial, path.dirname(cached)).catch(() => fs.rm(partial, { recursive: true, force: true }));
  return false;
}

/** Everything of the bundle except node_modules and bundle.json, from the source tree into `top`. */
export async function stageBundleFiles(sourceDir: string, top: string): Promise<void> {
  await fs.mkdir(path.join(top, 'dist'), { recursive: true });
  await fs.cp(path.join(sourceDir, 'dist', 'agent'), path.join(top, 'dist', 'agent'), { recursive: true });
  for (const entry of SHIPPED) {
    await fs.cp(path.join(sourceDir, entry), path.join(top, entry), { recursive: true });
  }
  await fs.mkdir(path.join(top, 'config', 'kickstart'), { recursive: true });
  await fs.writeFile(path.join(top, 'config', 'agent.yaml'), DEFAULT_CONFIG_YAML);
  await fs.writeFile(path.join(top, 'config', 'kickstart', EXAMPLE_KICKSTART), EXAMPLE_KICKSTART_TEXT);
}

export async function createBundle(o: BundleOptions): Promise<BundleResult> {
  const cli = path.join(o.sourceDir, CLI_ENTRY);
  if (!(await exists(cli))) {
    throw new AgentError('not-found', `${cli} is missing: run \`npm run build\` in ${o.sourceDir} before bundling`);
  }
  const pkg = await readJson(path.join(o.sourceDir, 'package.json'));
  const lockfile = await fs.readFile(path.join(o.sourceDir, 'package-lock.json')).catch((e: unknown) => {
    throw fromErrno(e, 'package-lock.json is required (npm ci installs exactly what it lists)');
  });
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'pikvm-agent-bundle-'));
  try {
    const top = path.join(staging, BUNDLE_TOP);
    await stageBundleFiles(o.sourceDir, top);
    const cached = await stageNodeModules(o, top, lockfile);
    const native = await verifyNativeTree(path.join(top, 'node_modules'), o.arch);
    const manifest: BundleManifest = {
      name: String(pkg.name),
      version: String(pkg.version),
      arch: o.arch,
      npmCpu: TARGETS[o.arch].npmCpu,
      lockfileSha256: createHash('sha256').update(lockfile).digest('hex'),
      nativePackages: native.present,
    };
    await fs.writeFile(path.join(top, BUNDLE_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');

    const out = path.resolve(o.out);
    await fs.mkdir(path.dirname(out), { recursive: true });
    const partial = `${out}.partial`;
    await runChecked(o.runner, 'tar', ['-czf', partial, '--owner=0', '--group=0', '-C', staging, BUNDLE_TOP]);
    await fs.rename(partial, out);
    o.logger.info('bundle written', { out, arch: o.arch, version: manifest.version, cached });
    return { out, manifest, native, cached };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
