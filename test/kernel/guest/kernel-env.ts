/**
 * Helpers for tests that run inside the kernel-tier guest (see "Kernel tier" in README.md). The guest is
 * chrooted into the host's root, so these paths are the guest kernel's own configfs, sysfs and
 * device nodes. Nothing here is used outside test/kernel/guest/.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SYSTEM_PATHS } from '../../../agent/platform/paths';

export const paths = SYSTEM_PATHS;

/** The virtual UDC of dummy_hcd; its host side is the same kernel. */
export const DUMMY_UDC = 'dummy_udc.0';

/** Refuse to touch a real machine's configfs: guest tests run only under test/kernel/run.sh. */
export function assertInGuest(): void {
  if (process.env.KTIER_GUEST !== '1') {
    throw new Error('kernel-tier guest test: run it with `bash test/kernel/run.sh`, not directly');
  }
}

export const usbGadgetDir = (): string => path.join(paths.configfsRoot, 'usb_gadget');
export const udcStateFile = (udc = DUMMY_UDC): string => path.join(paths.sysfsRoot, 'class/udc', udc, 'state');

export async function readTrimmed(file: string): Promise<string> {
  return (await fs.readFile(file, 'utf8')).trim();
}

export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`
 * (a bound against hangs, not a speed assertion: the guest is emulated and slow).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Host-side USB devices (`/sys/bus/usb/devices/N-M`) with their idVendor:idProduct. */
export async function hostUsbDevices(): Promise<{ sysfs: string; vidPid: string }[]> {
  const dir = path.join(paths.sysfsRoot, 'bus/usb/devices');
  const out: { sysfs: string; vidPid: string }[] = [];
  for (const name of await fs.readdir(dir)) {
    const vid = path.join(dir, name, 'idVendor');
    if (!(await exists(vid))) continue;
    const pid = await readTrimmed(path.join(dir, name, 'idProduct'));
    out.push({ sysfs: path.join(dir, name), vidPid: `${await readTrimmed(vid)}:${pid}` });
  }
  return out;
}

/**
 * The host-side device nodes of one enumerated USB device: `/dev/hidrawN` and `/dev/sdX` whose sysfs
 * path lies below the device (`vidPid` as `1d6b:0104`, lowercase hex).
 */
export async function hostNodesOf(vidPid: string): Promise<{ hidraw: string[]; block: string[] }> {
  const dev = (await hostUsbDevices()).find((d) => d.vidPid === vidPid);
  if (!dev) return { hidraw: [], block: [] };
  const real = await fs.realpath(dev.sysfs);
  const below = async (cls: string): Promise<string[]> => {
    const dir = path.join(paths.sysfsRoot, 'class', cls);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const hits: string[] = [];
    for (const n of names.sort()) {
      const target = await fs.realpath(path.join(dir, n)).catch(() => '');
      if (target.startsWith(real + '/')) hits.push(path.join(paths.devRoot, n));
    }
    return hits;
  };
  return { hidraw: await below('hidraw'), block: await below('block') };
}

/** Runs a program (argument array, no shell) and resolves with its exit code and output. */
export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}
