/**
 * The machines a bundle can be built for. PiKVM OS is 32-bit ARM (Arch Linux ARM `armv7h`) on most
 * installs and `aarch64` on some; `x86_64` is for test machines. Each names the npm platform filters
 * that select the prebuilt native packages of our runtime dependencies and the packages that must
 * then be in the tree:
 * - sharp loads `@img/sharp-<platform>` and its libvips from `@img/sharp-libvips-<platform>`
 *   (sharp's lib/sharp.js tries `@img/sharp-${runtimePlatformArch()}`);
 * - koffi 3 loads `@koromix/koffi-<platform>` (its index picks the package by process.platform/arch).
 */
import { AgentError } from '../errors';

export type TargetArch = 'armv7h' | 'aarch64' | 'x86_64';

export interface Target {
  arch: TargetArch;
  /** `npm --cpu` value (Node's process.arch on that machine). */
  npmCpu: 'arm' | 'arm64' | 'x64';
  /** What `uname -m` prints there. */
  unameMachines: readonly string[];
  /** ELF e_machine of the native addons built for it (elf.h: EM_ARM 40, EM_AARCH64 183, EM_X86_64 62). */
  elfMachine: number;
  /** Packages with the native code for this target, which the staged tree must hold. */
  nativePackages: readonly string[];
}

function nativePackages(cpu: string): string[] {
  return [`@img/sharp-linux-${cpu}`, `@img/sharp-libvips-linux-${cpu}`, `@koromix/koffi-linux-${cpu}`];
}

export const TARGETS: Readonly<Record<TargetArch, Target>> = {
  // armv8l: a 32-bit userland on a 64-bit kernel reports it (the kernel's compat uname, PER_LINUX32).
  armv7h: { arch: 'armv7h', npmCpu: 'arm', unameMachines: ['armv7l', 'armv8l'], elfMachine: 40, nativePackages: nativePackages('arm') },
  aarch64: { arch: 'aarch64', npmCpu: 'arm64', unameMachines: ['aarch64', 'arm64'], elfMachine: 183, nativePackages: nativePackages('arm64') },
  x86_64: { arch: 'x86_64', npmCpu: 'x64', unameMachines: ['x86_64', 'amd64'], elfMachine: 62, nativePackages: nativePackages('x64') },
};

export const TARGET_ARCHES = Object.keys(TARGETS) as TargetArch[];

export function parseTargetArch(value: string): TargetArch {
  if ((TARGET_ARCHES as string[]).includes(value)) return value as TargetArch;
  throw new AgentError('bad-argument', `unknown architecture ${JSON.stringify(value)}: expected ${TARGET_ARCHES.join(', ')}`);
}

/**
 * The target for a `uname -m` answer (armv7l → armv7h, aarch64 → aarch64, x86_64 → x86_64) and the
 * userland's word size (`getconf LONG_BIT`): a 32-bit ARM userland on a 64-bit kernel reports
 * aarch64, yet needs the armv7h build (its /usr/bin/node is a 32-bit ARM program).
 */
export function targetForMachine(machine: string, longBit?: number): TargetArch {
  const m = machine.trim();
  if (longBit === 32 && TARGETS.aarch64.unameMachines.includes(m)) return 'armv7h';
  const found = TARGET_ARCHES.find((a) => TARGETS[a].unameMachines.includes(m));
  if (found === undefined) throw new AgentError('not-supported', `no bundle for a ${JSON.stringify(m)} machine (uname -m); supported: armv7l, aarch64, x86_64`);
  return found;
}

/** The target whose Node.js reports this `process.arch` ('arm', 'arm64', 'x64'). */
export function targetForNodeArch(cpu: string): TargetArch | undefined {
  return TARGET_ARCHES.find((a) => TARGETS[a].npmCpu === cpu);
}

/** Native packages of the other targets: present in a bundle for `arch`, they are dead weight or a wrong build. */
export function foreignNativePackages(arch: TargetArch): string[] {
  return TARGET_ARCHES.filter((a) => a !== arch).flatMap((a) => TARGETS[a].nativePackages);
}
