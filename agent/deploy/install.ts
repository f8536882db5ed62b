/**
 * `pikvm-agent install`: runs as root on the PiKVM from an unpacked bundle and puts every file in
 * its place (see layout.ts), then enables and (re)starts the service. Re-running it upgrades: the
 * program tree is replaced as a whole, the unit, add-on, EDIDs and wrapper are rewritten, while the
 * user's configuration and kickstart templates are never overwritten.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError, fromErrno } from '../errors';
import { BUNDLE_MANIFEST, type BundleManifest } from './bundle';
import { WRAPPER_SCRIPT, EXAMPLE_KICKSTART } from './defaults';
import { LIB_ENTRIES, layoutUnder, NGINX_FILES, NGINX_SERVICE, SERVICE, type Layout } from './layout';
import { checkNode, systemctl, type SystemDeps, unitExists, withWritableRoot } from './system';
import { targetForNodeArch } from './targets';

export interface InstallOptions {
  /** The unpacked bundle directory (holds bundle.json). */
  bundleDir: string;
  /** '/' on the PiKVM; a directory tree for tests and image builds. */
  root: string;
  /** The interpreter to check (the one the unit runs: /usr/bin/node). */
  node: string;
  /**
   * process.arch of the Node.js that runs the installer (the system's), checked against the bundle's
   * architecture; not uname, which says aarch64 for a 32-bit userland on a 64-bit kernel.
   */
  cpu?: string;
}

export interface InstallReport {
  version: string;
  nodeVersion: string;
  /** True when an existing agent.yaml was kept. */
  configKept: boolean;
  nginxRestarted: boolean;
}

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
/** agent.yaml may hold kickstart variables such as password hashes: root only reads it (0640). */
const CONFIG_MODE = 0o640;

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

async function readManifest(bundleDir: string): Promise<BundleManifest> {
  try {
    return JSON.parse(await fs.readFile(path.join(bundleDir, BUNDLE_MANIFEST), 'utf8')) as BundleManifest;
  } catch (e) {
    throw new AgentError('not-found', `${bundleDir} is not an unpacked pikvm-agent bundle (no readable ${BUNDLE_MANIFEST}): ${fromErrno(e, 'read').message}`);
  }
}

async function makeDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  await fs.chmod(dir, DIR_MODE);
}

/** Writes `dest` from a file or a string with exactly `mode`, whatever the umask. */
async function putFile(dest: string, from: { file: string } | { text: string }, mode: number): Promise<void> {
  await makeDir(path.dirname(dest));
  if ('file' in from) await fs.copyFile(from.file, dest);
  else await fs.writeFile(dest, from.text);
  await fs.chmod(dest, mode);
}

/** Replaces the program tree in one rename, so the unit never sees half an old, half a new tree. */
async function replaceLibDir(bundleDir: string, libDir: string): Promise<void> {
  const next = `${libDir}.new`;
  const old = `${libDir}.old`;
  await fs.rm(next, { recursive: true, force: true });
  await fs.rm(old, { recursive: true, force: true });
  await makeDir(next);
  for (const entry of LIB_ENTRIES) {
    await fs.cp(path.join(bundleDir, entry), path.join(next, entry), { recursive: true, verbatimSymlinks: true });
  }
  if (await exists(libDir)) await fs.rename(libDir, old);
  await fs.rename(next, libDir);
  await fs.rm(old, { recursive: true, force: true });
}

async function copyFiles(bundleDir: string, l: Layout): Promise<boolean> {
  await replaceLibDir(bundleDir, l.libDir);
  await putFile(l.unitFile, { file: path.join(bundleDir, 'systemd', SERVICE) }, FILE_MODE);
  for (const name of NGINX_FILES) await putFile(path.join(l.nginxExtrasDir, name), { file: path.join(bundleDir, 'nginx', name) }, FILE_MODE);

  const configKept = await exists(l.configFile);
  if (!configKept) await putFile(l.configFile, { file: path.join(bundleDir, 'config', 'agent.yaml') }, CONFIG_MODE);
  await makeDir(l.dropInDir);

  const edids = (await fs.readdir(path.join(bundleDir, 'edid'))).filter((f) => f.endsWith('.hex') || f === 'README.md');
  for (const name of edids) await putFile(path.join(l.edidDir, name), { file: path.join(bundleDir, 'edid', name) }, FILE_MODE);

  const example = path.join(l.kickstartDir, EXAMPLE_KICKSTART);
  await makeDir(l.kickstartDir);
  if (!(await exists(example))) await putFile(example, { file: path.join(bundleDir, 'config', 'kickstart', EXAMPLE_KICKSTART) }, FILE_MODE);

  await makeDir(l.imageDir);
  await putFile(l.wrapper, { text: WRAPPER_SCRIPT }, 0o755);
  return configKept;
}

export async function install(o: InstallOptions, deps: SystemDeps): Promise<InstallReport> {
  const { logger } = deps;
  const nodeVersion = await checkNode(deps, o.node);
  const manifest = await readManifest(o.bundleDir);
  const cpu = o.cpu ?? process.arch;
  const wanted = targetForNodeArch(cpu);
  if (wanted !== manifest.arch) {
    const hint = wanted ? `build one with \`pikvm-agent bundle --arch ${wanted}\`` : 'no bundle exists for it';
    throw new AgentError('not-supported', `this bundle is for ${manifest.arch}, this machine's Node.js is ${cpu}: ${hint}`);
  }
  const l = layoutUnder(o.root);
  return withWritableRoot(deps, async () => {
    const configKept = await copyFiles(o.bundleDir, l);
    logger.info('files installed', { version: manifest.version, arch: manifest.arch, lib: l.libDir, config: configKept ? 'kept' : 'created' });
    await systemctl(deps, 'daemon-reload');
    await systemctl(deps, 'enable', SERVICE);
    // restart, not `enable --now`: an upgrade must replace the running agent with the new files.
    await systemctl(deps, 'restart', SERVICE);
    const nginxRestarted = await unitExists(deps, NGINX_SERVICE);
    if (nginxRestarted) await systemctl(deps, 'restart', NGINX_SERVICE);
    return { version: manifest.version, nodeVersion, configKept, nginxRestarted };
  });
}
