/**
 * The real `HidDevice`: an f_hid node (`/dev/hidgN`) opened `O_RDWR | O_NONBLOCK`.
 *
 * f_hid (drivers/usb/gadget/function/f_hid.c) accepts one report per write(2). On a non-blocking
 * fd, `f_hidg_write` returns EAGAIN while the previous report is still queued (the host has not
 * polled the interrupt IN endpoint) and ESHUTDOWN when the function is disabled (host gone, gadget
 * not configured). A blocking fd would sleep in the kernel until the host polls — forever for a
 * dead host — and in Node that pins a libuv pool thread, so we use the synchronous calls on a
 * non-blocking fd: each returns at once, and the retry wait happens on the event loop.
 * kvmd does the same (kvmd/plugins/hid/otg/device.py: non-blocking writes, EAGAIN/ESHUTDOWN →
 * offline).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentError, errnoOf, fromErrno } from '../errors';
import type { Paths } from '../platform/paths';
import { HOST_OFFLINE_BOUND_MS, type HidDevice, type HidDeviceOpener } from './device';

export interface HidgTiming {
  /** Pause between EAGAIN retries. */
  retryMs: number;
  /** Give up after this long; below HOST_OFFLINE_BOUND_MS to leave room for timer slack. */
  giveUpMs: number;
}

export const DEFAULT_HIDG_TIMING: Readonly<HidgTiming> = Object.freeze({
  retryMs: 5,
  giveUpMs: HOST_OFFLINE_BOUND_MS - 15,
});

/** Largest output report we read (the keyboard's is 1 byte; f_hid hands over one per read). */
const OUTPUT_REPORT_MAX = 64;

/** The three calls the device makes, injectable so tests can produce errnos a FIFO cannot (ESHUTDOWN). */
export interface HidgSyscalls {
  writeSync(fd: number, data: Uint8Array): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: null): number;
  closeSync(fd: number): void;
}

const NODE_SYSCALLS: HidgSyscalls = {
  writeSync: (fd, data) => fs.writeSync(fd, data),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  closeSync: (fd) => fs.closeSync(fd),
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HidgDevice implements HidDevice {
  private fd: number | null;

  /** Takes ownership of `fd` (opened O_RDWR | O_NONBLOCK); use `HidgDevice.open` normally. */
  constructor(
    fd: number,
    readonly path: string,
    private readonly timing: HidgTiming = DEFAULT_HIDG_TIMING,
    private readonly sys: HidgSyscalls = NODE_SYSCALLS,
  ) {
    this.fd = fd;
  }

  static open(nodePath: string, timing: HidgTiming = DEFAULT_HIDG_TIMING): HidgDevice {
    try {
      const fd = fs.openSync(nodePath, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      return new HidgDevice(fd, nodePath, timing);
    } catch (e) {
      throw fromErrno(e, `open ${nodePath}`);
    }
  }

  async write(report: Uint8Array): Promise<void> {
    const deadline = Date.now() + this.timing.giveUpMs;
    for (;;) {
      const fd = this.openFd();
      try {
        const written = this.sys.writeSync(fd, report);
        if (written !== report.length) {
          throw new AgentError('io', `write ${this.path}: short write ${written}/${report.length}`);
        }
        return;
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ESHUTDOWN') throw new AgentError('host-offline', `write ${this.path}: host not connected (ESHUTDOWN)`, e);
        if (errno !== 'EAGAIN') throw fromErrno(e, `write ${this.path}`);
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new AgentError('host-offline', `write ${this.path}: host not reading reports (EAGAIN for ${this.timing.giveUpMs} ms)`, e);
        }
        await sleep(Math.min(this.timing.retryMs, left));
      }
    }
  }

  readOutputReport(): Uint8Array | null {
    if (this.fd === null) return null;
    const buf = Buffer.alloc(OUTPUT_REPORT_MAX);
    try {
      const n = this.sys.readSync(this.fd, buf, 0, buf.length, null);
      return n > 0 ? new Uint8Array(buf.subarray(0, n)) : null;
    } catch (e) {
      const errno = errnoOf(e);
      // EAGAIN: nothing pending; ESHUTDOWN: the host is gone, so there is nothing to read either.
      if (errno === 'EAGAIN' || errno === 'ESHUTDOWN') return null;
      throw fromErrno(e, `read ${this.path}`);
    }
  }

  async close(): Promise<void> {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      this.sys.closeSync(fd);
    } catch (e) {
      throw fromErrno(e, `close ${this.path}`);
    }
  }

  private openFd(): number {
    if (this.fd === null) throw new AgentError('no-device', `${this.path} is closed`);
    return this.fd;
  }
}

/**
 * Finds and opens the node of a bound gadget's HID function. configfs publishes the function's
 * char device number in `functions/<fn>/dev` (`MAJ:MIN`; the minor is the lowest free one, taken
 * when the function directory is made — f_hid.c `hidg_alloc_inst`), so the node name must be
 * resolved, not guessed from the function name. The char device itself, and so sysfs
 * `dev/char/MAJ:MIN/uevent` (`DEVNAME=hidgN`), exists only while the gadget is bound (`hidg_bind`
 * adds the cdev): a missing uevent means "not bound" and is reported as `no-device`.
 */
export class HidgOpener implements HidDeviceOpener {
  constructor(
    private readonly paths: Paths,
    private readonly gadgetName: string,
    private readonly timing: HidgTiming = DEFAULT_HIDG_TIMING,
  ) {}

  async open(functionName: string): Promise<HidDevice> {
    return HidgDevice.open(await this.resolveNode(functionName), this.timing);
  }

  /** `hid.usb0` → `<devRoot>/hidgN`. */
  async resolveNode(functionName: string): Promise<string> {
    const devFile = path.join(this.paths.configfsRoot, 'usb_gadget', this.gadgetName, 'functions', functionName, 'dev');
    const devNumber = (await readText(devFile)).trim();
    if (!/^\d+:\d+$/.test(devNumber)) {
      throw new AgentError('no-device', `${devFile}: '${devNumber}' is not MAJ:MIN (gadget not bound?)`);
    }
    const ueventFile = path.join(this.paths.sysfsRoot, 'dev', 'char', devNumber, 'uevent');
    let uevent: string;
    try {
      uevent = await readText(ueventFile);
    } catch (e) {
      if (e instanceof AgentError && e.code === 'not-found') {
        throw new AgentError('no-device', `${functionName}: no char device ${devNumber} (gadget not bound?)`, e);
      }
      throw e;
    }
    const devName = /^DEVNAME=(.+)$/m.exec(uevent)?.[1]?.trim();
    if (!devName || devName.includes('..') || path.isAbsolute(devName)) {
      throw new AgentError('no-device', `${ueventFile}: no usable DEVNAME`);
    }
    return path.join(this.paths.devRoot, devName);
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw fromErrno(e, `read ${file}`);
  }
}
