/**
 * The gadget side of the simulated configfs (drivers/usb/gadget/configfs.c, function/f_hid.c,
 * function/f_mass_storage.c): what mkdir of a gadget, string table, config, function or LUN
 * creates, what rmdir releases, and the `UDC` attribute with the UDC core's answers.
 * `SimConfigFs` (configfs.ts) owns the tree and the generic configfs rules and delegates here.
 */
import { errnoError } from '../platform/errno';
import type { BackingOpener } from './backing-file';
import {
  StoreError,
  configAttributes,
  configStringsAttributes,
  gadgetStringsAttributes,
  hexAttribute,
  hidAttributes,
  kstrtou,
  lunAttributes,
  massStorageAttributes,
  newLun,
  osDescAttributes,
  stringAttribute,
  type SimAttribute,
  type SimFunctionState,
} from './kernel-attributes';

export type Role = 'root' | 'subsystem' | 'gadget' | 'group' | 'strings' | 'lang' | 'configs' | 'config' | 'functions' | 'function' | 'lun' | 'os_desc';

export interface DirNode {
  kind: 'dir';
  role: Role;
  /** Created with its parent (configs, functions, strings, os_desc, lun.0): rmdir → EPERM. */
  isDefault: boolean;
  children: Map<string, Node>;
  /** Links pointing at this directory. */
  linkCount: number;
  gadget?: SimGadgetState;
  fn?: SimFunctionState;
  lunIndex?: number;
}
export interface FileNode {
  kind: 'file';
  attr: SimAttribute;
}
export interface LinkNode {
  kind: 'link';
  target: DirNode;
  targetPath: string;
}
export type Node = DirNode | FileNode | LinkNode;

export interface SimGadgetState {
  name: string;
  udc: string | null;
  dir: DirNode;
}

/** A function linked into a config of a gadget being bound. */
export interface SimLinkedFunction {
  name: string;
  state: SimFunctionState;
}

/** What the configfs tree needs from the rest of the simulated kernel. */
export interface SimUdcHooks {
  /** Names of the UDCs that exist. */
  udcs(): readonly string[];
  bound(gadget: SimGadgetState, udc: string, functions: SimLinkedFunction[]): void;
  unbound(gadget: SimGadgetState, udc: string): void;
}

export interface SimConfigFsOptions {
  hooks: SimUdcHooks;
  /** `lun.N/forced_eject` exists (Linux ≥ 6.0). Default true. */
  forcedEject?: boolean;
  /** `no_out_endpoint` of HID functions exists (Linux ≥ 5.15). Default true. */
  noOutEndpoint?: boolean;
  /** Major of the hidg char devices (dynamic in the kernel). Default 236. */
  hidMajor?: number;
  /** f_mass_storage's open of a backing file (`lun.N/file`). */
  openBacking: BackingOpener;
}

/** HIDG_MINORS in f_hid.c: at most 4 HID functions system-wide. */
const HIDG_MINORS = 4;
/** FSG_MAX_LUNS. */
const MAX_LUNS = 16;

export const newDir = (role: Role, isDefault: boolean): DirNode => ({ kind: 'dir', role, isDefault, children: new Map(), linkCount: 0 });

export function addFiles(dir: DirNode, attrs: Map<string, SimAttribute>): void {
  for (const [name, attr] of attrs) dir.children.set(name, { kind: 'file', attr });
}

export function split(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/** Gadgets, HID minors and UDC binding: the state behind `usb_gadget/`. */
export class SimGadgetRegistry {
  private readonly gadgets = new Map<string, SimGadgetState>();
  private readonly hidMinors = new Set<number>();

  constructor(private readonly options: SimConfigFsOptions) {}

  ownerGadget(path: string): SimGadgetState | undefined {
    return this.gadgets.get(split(path)[1] ?? '');
  }

  /** Gadget state by name, for the simulated kernel. */
  gadget(name: string): SimGadgetState | undefined {
    return this.gadgets.get(name);
  }

  allGadgets(): SimGadgetState[] {
    return [...this.gadgets.values()];
  }

  /** The function state `usb_gadget/<g>/functions/<f>`, for the simulated kernel. */
  functionState(gadget: string, fn: string): SimFunctionState | undefined {
    const dir = this.gadgets.get(gadget)?.dir.children.get('functions');
    const node = dir?.kind === 'dir' ? dir.children.get(fn) : undefined;
    return node?.kind === 'dir' ? node.fn : undefined;
  }

  drop(dir: DirNode, name: string): void {
    if (dir.role === 'gadget' && dir.gadget) {
      this.unbindGadget(dir.gadget);
      this.gadgets.delete(name);
    }
    if (dir.role === 'function' && dir.fn?.hid) this.hidMinors.delete(dir.fn.hid.minor);
    if (dir.role === 'lun' && dir.lunIndex !== undefined) dir.fn?.storage?.luns.delete(dir.lunIndex);
  }

  make(parent: DirNode, name: string, path: string): DirNode {
    switch (parent.role) {
      case 'subsystem':
        return this.makeGadget(name);
      case 'strings': {
        // usb_string_make / gadget_language_make: the name is a language id, kstrtou16 base 0.
        this.parseOrThrow(() => kstrtou(name, 16), 'mkdir', path);
        const dir = newDir('lang', false);
        const isConfigStrings = this.ownerGadget(path) !== undefined && split(path).includes('configs');
        addFiles(dir, isConfigStrings ? configStringsAttributes() : gadgetStringsAttributes());
        return dir;
      }
      case 'configs': {
        // config_desc_make: "<name>.<bConfigurationValue>".
        const dot = name.lastIndexOf('.');
        if (dot <= 0) throw errnoError('EINVAL', 'mkdir', path);
        this.parseOrThrow(() => kstrtou(name.slice(dot + 1), 8), 'mkdir', path);
        const dir = newDir('config', false);
        addFiles(dir, configAttributes());
        dir.children.set('strings', newDir('strings', true));
        return dir;
      }
      case 'functions':
        return this.makeFunction(name, path);
      case 'function':
        return this.makeLun(parent, name, path);
      default:
        throw errnoError('EPERM', 'mkdir', path);
    }
  }

  private parseOrThrow(parse: () => number, syscall: string, path: string): number {
    try {
      return parse();
    } catch (e) {
      if (e instanceof StoreError) throw errnoError(e.errno, syscall, path);
      throw e;
    }
  }

  private makeGadget(name: string): DirNode {
    const dir = newDir('gadget', false);
    const gadget: SimGadgetState = { name, udc: null, dir };
    dir.gadget = gadget;
    addFiles(
      dir,
      new Map<string, SimAttribute>([
        ['bDeviceClass', hexAttribute(8, 0)],
        ['bDeviceSubClass', hexAttribute(8, 0)],
        ['bDeviceProtocol', hexAttribute(8, 0)],
        ['bMaxPacketSize0', hexAttribute(8, 0x40)],
        ['idVendor', hexAttribute(16, 0)],
        ['idProduct', hexAttribute(16, 0)],
        ['bcdDevice', hexAttribute(16, 0, { bcd: true })],
        ['bcdUSB', hexAttribute(16, 0x0200, { bcd: true })],
        ['UDC', { show: () => `${gadget.udc ?? ''}\n`, store: (text) => this.storeUdc(gadget, text) }],
        ['max_speed', stringAttribute('super-speed-plus')],
      ]),
    );
    dir.children.set('configs', newDir('configs', true));
    dir.children.set('functions', newDir('functions', true));
    dir.children.set('strings', newDir('strings', true));
    const osDesc = newDir('os_desc', true);
    addFiles(osDesc, osDescAttributes());
    dir.children.set('os_desc', osDesc);
    this.gadgets.set(name, gadget);
    return dir;
  }

  private makeFunction(name: string, path: string): DirNode {
    // function_make: "<driver>.<instance>"; an unknown driver is ENOENT (no such usb_function).
    const dot = name.indexOf('.');
    if (dot <= 0 || dot === name.length - 1) throw errnoError('EINVAL', 'mkdir', path);
    const type = name.slice(0, dot);
    const dir = newDir('function', false);
    if (type === 'hid') {
      let minor = 0;
      while (this.hidMinors.has(minor)) minor++;
      if (minor >= HIDG_MINORS) throw errnoError('ENODEV', 'mkdir', path); // hidg_get_minor
      this.hidMinors.add(minor);
      const fn: SimFunctionState = {
        name,
        type: 'hid',
        refcnt: 0,
        hid: { protocol: 0, subclass: 0, reportLength: 0, reportDesc: new Uint8Array(0), noOutEndpoint: false, minor },
      };
      dir.fn = fn;
      addFiles(dir, hidAttributes(fn, this.options.hidMajor ?? 236, this.options.noOutEndpoint ?? true));
      return dir;
    }
    if (type === 'mass_storage') {
      const fn: SimFunctionState = { name, type: 'mass_storage', refcnt: 0, storage: { stall: true, luns: new Map() } };
      dir.fn = fn;
      addFiles(dir, massStorageAttributes(fn));
      dir.children.set('lun.0', this.lunDir(fn, 0, true));
      return dir;
    }
    throw errnoError('ENOENT', 'mkdir', path);
  }

  private lunDir(fn: SimFunctionState, index: number, isDefault: boolean): DirNode {
    const lun = newLun();
    fn.storage!.luns.set(index, lun);
    const dir = newDir('lun', isDefault);
    dir.lunIndex = index;
    dir.fn = fn;
    addFiles(dir, lunAttributes(lun, { forcedEject: this.options.forcedEject ?? true, openBacking: this.options.openBacking }));
    return dir;
  }

  /** fsg_lun_make: "lun.<n>", n < FSG_MAX_LUNS, not while the function is in use. */
  private makeLun(parent: DirNode, name: string, path: string): DirNode {
    const fn = parent.fn;
    if (!fn?.storage) throw errnoError('EPERM', 'mkdir', path);
    const m = /^lun\.(.+)$/.exec(name);
    if (!m) throw errnoError('EINVAL', 'mkdir', path);
    const index = this.parseOrThrow(() => kstrtou(m[1]!, 8), 'mkdir', path);
    if (index >= MAX_LUNS) throw errnoError('ERANGE', 'mkdir', path);
    if (fn.refcnt > 0) throw errnoError('EBUSY', 'mkdir', path);
    if (fn.storage.luns.has(index)) throw errnoError('EBUSY', 'mkdir', path);
    return this.lunDir(fn, index, false);
  }

  // ----- UDC -----

  /**
   * gadget_dev_desc_UDC_store. "" or "\n" unbinds (ENODEV when not bound). A name while bound →
   * EBUSY. usb_gadget_register_driver_owner (Linux ≥ 5.19) answers EBUSY for a UDC that is taken,
   * unknown, or whose bind failed (configfs_composite_bind needs ≥ 1 config, each with a function).
   */
  private storeUdc(gadget: SimGadgetState, text: string): void {
    const name = text.replace(/\n$/, '');
    if (name === '') {
      if (gadget.udc === null) throw new StoreError('ENODEV');
      this.unbindGadget(gadget);
      return;
    }
    if (gadget.udc !== null) throw new StoreError('EBUSY');
    if (!this.options.hooks.udcs().includes(name)) throw new StoreError('EBUSY');
    if ([...this.gadgets.values()].some((g) => g.udc === name)) throw new StoreError('EBUSY');
    const functions = this.linkedFunctions(gadget);
    if (functions === null) throw new StoreError('EBUSY');
    gadget.udc = name;
    this.options.hooks.bound(gadget, name, functions);
  }

  private linkedFunctions(gadget: SimGadgetState): SimLinkedFunction[] | null {
    const configs = gadget.dir.children.get('configs');
    if (configs?.kind !== 'dir' || configs.children.size === 0) return null;
    const out: SimLinkedFunction[] = [];
    for (const c of configs.children.values()) {
      if (c.kind !== 'dir') continue;
      const links = [...c.children.entries()].filter(([, n]) => n.kind === 'link') as [string, LinkNode][];
      if (links.length === 0) return null;
      for (const [, l] of links) if (l.target.fn) out.push({ name: split(l.targetPath).pop()!, state: l.target.fn });
    }
    return out;
  }

  unbindGadget(gadget: SimGadgetState): void {
    const udc = gadget.udc;
    if (udc === null) return;
    gadget.udc = null;
    this.options.hooks.unbound(gadget, udc);
  }
}
