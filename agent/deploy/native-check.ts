/**
 * Checks that a production node_modules runs on the target: the prebuilt native packages for its
 * architecture are there, the other architectures' are not, and every native addon (`*.node`) in
 * them is an ELF object for the target's machine (e_machine, elf.h), so a bundle for an armv7h PiKVM
 * cannot silently carry x86-64 code.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError } from '../errors';
import { foreignNativePackages, TARGETS, type TargetArch } from './targets';

export interface NativeAddon {
  /** Relative to node_modules. */
  file: string;
  /** ELF e_machine, or null when the file is not ELF. */
  machine: number | null;
}

export interface NativeReport {
  arch: TargetArch;
  present: string[];
  missing: string[];
  /** Packages of other architectures found in the tree. */
  foreign: string[];
  addons: NativeAddon[];
  /** Addons whose machine is not the target's. */
  wrongMachine: NativeAddon[];
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** e_machine of an ELF file (EI_DATA picks the byte order), or null if it is not ELF. */
export async function elfMachine(file: string): Promise<number | null> {
  const handle = await fs.open(file, 'r');
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    if (bytesRead < 20 || header.readUInt32BE(0) !== 0x7f454c46) return null;
    return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  } finally {
    await handle.close();
  }
}

async function findAddons(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  for (const e of entries) {
    if (e.isFile() && e.name.endsWith('.node')) found.push(path.join(e.parentPath, e.name));
  }
  return found.sort();
}

export async function inspectNativeTree(nodeModules: string, arch: TargetArch): Promise<NativeReport> {
  const target = TARGETS[arch];
  const present: string[] = [];
  const missing: string[] = [];
  for (const pkg of target.nativePackages) {
    (await exists(path.join(nodeModules, pkg, 'package.json')) ? present : missing).push(pkg);
  }
  const foreign: string[] = [];
  for (const pkg of foreignNativePackages(arch)) {
    if (await exists(path.join(nodeModules, pkg))) foreign.push(pkg);
  }
  const addons: NativeAddon[] = [];
  for (const pkg of present) {
    for (const file of await findAddons(path.join(nodeModules, pkg))) {
      addons.push({ file: path.relative(nodeModules, file), machine: await elfMachine(file) });
    }
  }
  const wrongMachine = addons.filter((a) => a.machine !== target.elfMachine);
  return { arch, present, missing, foreign, addons, wrongMachine };
}

/** Throws an AgentError that says what is wrong and what to do, unless the tree is right for `arch`. */
export async function verifyNativeTree(nodeModules: string, arch: TargetArch): Promise<NativeReport> {
  const report = await inspectNativeTree(nodeModules, arch);
  const problems: string[] = [];
  if (report.missing.length) problems.push(`missing ${report.missing.join(', ')}`);
  if (report.foreign.length) problems.push(`packages for another architecture: ${report.foreign.join(', ')}`);
  if (report.wrongMachine.length) {
    problems.push(`addons not built for ${arch}: ${report.wrongMachine.map((a) => `${a.file} (e_machine ${a.machine ?? 'not ELF'})`).join(', ')}`);
  }
  if (report.present.length && report.addons.length === 0) problems.push(`no native addon (*.node) in ${report.present.join(', ')}`);
  if (problems.length) {
    throw new AgentError(
      'not-found',
      `node_modules is not a ${arch} tree: ${problems.join('; ')}. ` +
        `npm must honour --os=linux --cpu=${TARGETS[arch].npmCpu} --libc=glibc (npm 11 does), and the lock file must list these optional packages`,
    );
  }
  return report;
}
