/**
 * The simulated kernel of the simulated PiKVM: a configfs that follows the kernel's rules, a set
 * of virtual UDCs with their sysfs state, and events for the virtual USB host
 * (`agent/sim/usbhost.ts`) when a gadget is bound or unbound.
 *
 * UDC state (`class/udc/<udc>/state`, drivers/usb/gadget/udc/core.c): `not attached` until a
 * gadget is bound and the virtual host enumerates it, then `configured`. With the host offline
 * it reads `not attached` (cable out) or `suspended` (host asleep).
 */
import { EventEmitter } from 'node:events';
import { errnoError } from '../platform/errno';
import type { SysFs } from '../gadget/sysfs';
import { type BackingOpener, openBackingFile } from './backing-file';
import { SimConfigFs, type SimGadgetState, type SimLinkedFunction } from './configfs';
import type { SimLunState } from './kernel-attributes';

export type OfflineState = 'not attached' | 'suspended';

export interface BoundHidFunction {
  name: string;
  type: 'hid';
  /** `MAJ:MIN` as the function's `dev` attribute reads; the node is `hidg<minor>`. */
  dev: string;
  minor: number;
  protocol: number;
  subclass: number;
  reportLength: number;
  reportDescriptor: Uint8Array;
}

export interface BoundStorageFunction {
  name: string;
  type: 'mass_storage';
  luns: number[];
}

export type BoundFunction = BoundHidFunction | BoundStorageFunction;

export interface SimKernelOptions {
  /** Virtual UDC names. Default `['dummy_udc.0']`. */
  udcs?: string[];
  /** Whether the virtual host enumerates a bound gadget. Default true. */
  hostOnline?: boolean;
  /** `forced_eject` exists (Linux ≥ 6.0). Default true. */
  forcedEject?: boolean;
  /** `no_out_endpoint` exists (Linux ≥ 5.15). Default true. */
  noOutEndpoint?: boolean;
  hidMajor?: number;
  /** How `lun.N/file` writes open the backing file. Default: the real file system, as the kernel. */
  openBacking?: BackingOpener;
}

export interface SimKernelEvents {
  bound: [gadgetName: string, functions: BoundFunction[]];
  unbound: [gadgetName: string];
}

export class SimKernel extends EventEmitter<SimKernelEvents> {
  readonly configfs: SimConfigFs;
  readonly sysfs: SysFs;
  readonly hidMajor: number;
  private readonly udcNames: string[];
  private hostOnline: boolean;
  private offlineState: OfflineState = 'not attached';

  constructor(options: SimKernelOptions = {}) {
    super();
    this.udcNames = [...(options.udcs ?? ['dummy_udc.0'])].sort();
    this.hostOnline = options.hostOnline ?? true;
    this.hidMajor = options.hidMajor ?? 236;
    this.configfs = new SimConfigFs({
      hooks: {
        udcs: () => this.udcNames,
        bound: (g, _udc, fns) => this.emit('bound', g.name, fns.map((f) => this.describeFunction(f))),
        unbound: (g) => this.emit('unbound', g.name),
      },
      forcedEject: options.forcedEject ?? true,
      noOutEndpoint: options.noOutEndpoint ?? true,
      hidMajor: this.hidMajor,
      openBacking: options.openBacking ?? openBackingFile,
    });
    this.sysfs = {
      list: async (path) => this.sysfsList(path),
      read: async (path) => this.sysfsRead(path),
    };
  }

  get udcs(): readonly string[] {
    return this.udcNames;
  }

  /** The virtual host plugs in / out (or suspends). */
  setHostOnline(online: boolean, offlineState: OfflineState = 'not attached'): void {
    this.hostOnline = online;
    this.offlineState = offlineState;
  }

  /** The gadget bound to `udc`, or null. */
  boundGadget(udc: string): string | null {
    return this.configfs.allGadgets().find((g) => g.udc === udc)?.name ?? null;
  }

  udcState(udc: string): string {
    if (!this.udcNames.includes(udc)) throw errnoError('ENOENT', 'open', `class/udc/${udc}/state`);
    if (this.boundGadget(udc) === null) return 'not attached';
    return this.hostOnline ? 'configured' : this.offlineState;
  }

  /** The state of `lun.N` of a mass-storage function (attached file, flags), or null. */
  lun(gadget: string, fn: string, lun: number): Readonly<SimLunState> | null {
    const state = this.configfs.functionState(gadget, fn)?.storage?.luns.get(lun);
    return state ? { ...state } : null;
  }

  /** The host sends PREVENT ALLOW MEDIUM REMOVAL: writing `file` then fails with EBUSY. */
  setMediumLocked(gadget: string, fn: string, lun: number, locked: boolean): void {
    const state = this.configfs.functionState(gadget, fn)?.storage?.luns.get(lun);
    if (!state) throw errnoError('ENOENT', 'lock', `${gadget}/${fn}/lun.${lun}`);
    state.locked = locked;
  }

  private describeFunction(f: SimLinkedFunction): BoundFunction {
    const hid = f.state.hid;
    if (hid) {
      return {
        name: f.name,
        type: 'hid',
        dev: `${this.hidMajor}:${hid.minor}`,
        minor: hid.minor,
        protocol: hid.protocol,
        subclass: hid.subclass,
        reportLength: hid.reportLength,
        reportDescriptor: hid.reportDesc.slice(),
      };
    }
    return { name: f.name, type: 'mass_storage', luns: [...(f.state.storage?.luns.keys() ?? [])].sort((a, b) => a - b) };
  }

  private sysfsList(path: string): string[] {
    const parts = path.split('/').filter(Boolean);
    if (parts.join('/') === 'class/udc') return [...this.udcNames];
    const udc = parts[2];
    if (parts.length === 3 && parts[0] === 'class' && parts[1] === 'udc' && udc && this.udcNames.includes(udc)) {
      return ['state'];
    }
    throw errnoError('ENOENT', 'scandir', path);
  }

  private sysfsRead(path: string): string {
    const m = /^class\/udc\/([^/]+)\/state$/.exec(path.split('/').filter(Boolean).join('/'));
    if (!m) throw errnoError('ENOENT', 'open', path);
    return `${this.udcState(m[1]!)}\n`;
  }

  /** Gadget states, for status pages of the simulator. */
  gadgets(): readonly SimGadgetState[] {
    return this.configfs.allGadgets();
  }
}
