/**
 * Attribute files of the simulated configfs gadget tree, each with the show/store behaviour of the
 * kernel code that implements it (drivers/usb/gadget/configfs.c, function/f_hid.c,
 * function/f_mass_storage.c, function/storage_common.c). Stores throw `StoreError(errno)`; the
 * tree adds the path.
 */
import type { BackingOpener } from './backing-file';

export class StoreError extends Error {
  constructor(readonly errno: string) {
    super(errno);
  }
}

function fail(errno: string): never {
  throw new StoreError(errno);
}

export interface SimAttribute {
  /** Absent: write-only attribute (open for read fails with EACCES, fs/configfs/file.c). */
  show?: () => string | Uint8Array;
  /** Absent: read-only attribute. `text` is the bytes decoded as UTF-8. */
  store?: (text: string, bytes: Uint8Array) => void | Promise<void>;
}

export interface SimLunState {
  file: string | null;
  ro: boolean;
  cdrom: boolean;
  removable: boolean;
  nofua: boolean;
  inquiry: string;
  /** The host sent PREVENT ALLOW MEDIUM REMOVAL (prevent=1). */
  locked: boolean;
}

export interface SimHidState {
  protocol: number;
  subclass: number;
  reportLength: number;
  reportDesc: Uint8Array;
  noOutEndpoint: boolean;
  minor: number;
}

export interface SimFunctionState {
  name: string;
  type: 'hid' | 'mass_storage';
  /** How many config links hold the function (opts->refcnt: the function is allocated per link). */
  refcnt: number;
  hid?: SimHidState;
  storage?: { stall: boolean; luns: Map<number, SimLunState> };
}

/** One trailing newline is dropped, as sysfs/configfs stores do. */
export function chomp(s: string): string {
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/**
 * kstrtoul(s, 0): optional '+', then `0x` hex, leading `0` octal, or decimal; one trailing newline
 * allowed (lib/kstrtox.c). EINVAL on junk, ERANGE when it does not fit `bits`.
 */
export function kstrtou(text: string, bits: number, base: 0 | 10 = 0): number {
  const s = chomp(text).replace(/^\+/, '');
  let n: number;
  if (base === 0 && /^0x[0-9a-f]+$/i.test(s)) n = parseInt(s.slice(2), 16);
  else if (base === 0 && /^0[0-7]*$/.test(s)) n = parseInt(s, 8);
  else if (/^[0-9]+$/.test(s) && (base === 10 || !s.startsWith('0'))) n = parseInt(s, 10);
  else fail('EINVAL');
  if (n > 2 ** bits - 1) fail('ERANGE');
  return n;
}

/** kstrtobool: y/Y/1/t/T, n/N/0/f/F, on/off. */
export function kstrtobool(text: string): boolean {
  const s = chomp(text);
  if (/^(on|ON|On|oN)/.test(s)) return true;
  if (/^(of|OF|Of|oF)/.test(s)) return false;
  const c = s[0];
  if (c !== undefined && 'yY1tT'.includes(c)) return true;
  if (c !== undefined && 'nN0fF'.includes(c)) return false;
  return fail('EINVAL');
}

const hex = (v: number, width: number) => `0x${v.toString(16).padStart(width, '0')}\n`;

function isBcd(v: number): boolean {
  for (let shift = 0; shift < 16; shift += 4) if (((v >> shift) & 0xf) > 9) return false;
  return true;
}

/** A u8/u16 attribute parsed base 0 and shown `0x%0Nx` (gadget descriptor fields). */
export function hexAttribute(bits: 8 | 16, initial: number, opts: { bcd?: boolean } = {}): SimAttribute {
  let value = initial;
  return {
    show: () => hex(value, bits / 4),
    store: (text) => {
      const v = kstrtou(text, bits);
      if (opts.bcd && !isBcd(v)) fail('EINVAL');
      value = v;
    },
  };
}

/** USB string (usb_string_copy): at most 126 characters, EOVERFLOW beyond, shown with "\n". */
export function stringAttribute(initial = ''): SimAttribute {
  let value = initial;
  return {
    show: () => `${value}\n`,
    store: (text) => {
      const v = chomp(text);
      if (v.length > 126) fail('EOVERFLOW');
      value = v;
    },
  };
}

export function gadgetStringsAttributes(): Map<string, SimAttribute> {
  return new Map([
    ['manufacturer', stringAttribute()],
    ['product', stringAttribute()],
    ['serialnumber', stringAttribute()],
  ]);
}

export function configAttributes(): Map<string, SimAttribute> {
  let maxPower = 500; // CONFIG_USB_GADGET_VBUS_DRAW default
  let bmAttributes = 0x80;
  return new Map<string, SimAttribute>([
    [
      'MaxPower',
      {
        show: () => `${maxPower}\n`,
        store: (text) => {
          const v = kstrtou(text, 16);
          if (Math.ceil(v / 8) > 0xff) fail('ERANGE');
          maxPower = v;
        },
      },
    ],
    [
      'bmAttributes',
      {
        show: () => hex(bmAttributes, 2),
        store: (text) => {
          const v = kstrtou(text, 8);
          // USB_CONFIG_ATT_ONE must be set; only SELFPOWER and WAKEUP may be added.
          if (!(v & 0x80) || v & ~0xe0) fail('EINVAL');
          bmAttributes = v;
        },
      },
    ],
  ]);
}

export function configStringsAttributes(): Map<string, SimAttribute> {
  return new Map([['configuration', stringAttribute()]]);
}

export function osDescAttributes(): Map<string, SimAttribute> {
  let use = false;
  return new Map<string, SimAttribute>([
    ['use', { show: () => `${use ? 1 : 0}\n`, store: (t) => void (use = kstrtobool(t)) }],
    ['b_vendor_code', hexAttribute(8, 0)],
    ['qw_sign', stringAttribute('MSFT100')],
  ]);
}

/** f_hid options: every store is refused with EBUSY while a config link holds the function. */
export function hidAttributes(fn: SimFunctionState, major: number, withNoOutEndpoint: boolean): Map<string, SimAttribute> {
  const hid = fn.hid!;
  const guard = () => {
    if (fn.refcnt > 0) fail('EBUSY');
  };
  const numeric = (get: () => number, set: (v: number) => void, bits: number, limit: number): SimAttribute => ({
    show: () => `${get()}\n`,
    store: (text) => {
      guard();
      const v = kstrtou(text, bits);
      if (v > limit) fail('EINVAL');
      set(v);
    },
  });
  const attrs = new Map<string, SimAttribute>([
    ['protocol', numeric(() => hid.protocol, (v) => (hid.protocol = v), 8, 255)],
    ['subclass', numeric(() => hid.subclass, (v) => (hid.subclass = v), 8, 255)],
    ['report_length', numeric(() => hid.reportLength, (v) => (hid.reportLength = v), 16, 65535)],
    [
      'report_desc',
      {
        show: () => hid.reportDesc.slice(),
        store: (_text, bytes) => {
          guard();
          if (bytes.length > 4096) fail('ENOSPC');
          hid.reportDesc = bytes.slice();
        },
      },
    ],
    // The char device number exists from mkdir: the minor is allocated in hidg_alloc_inst.
    ['dev', { show: () => `${major}:${hid.minor}\n` }],
  ]);
  if (withNoOutEndpoint) {
    attrs.set('no_out_endpoint', numeric(() => (hid.noOutEndpoint ? 1 : 0), (v) => (hid.noOutEndpoint = v === 1), 8, 1));
  }
  return attrs;
}

export function massStorageAttributes(fn: SimFunctionState): Map<string, SimAttribute> {
  const storage = fn.storage!;
  return new Map<string, SimAttribute>([
    [
      'stall',
      {
        show: () => `${storage.stall ? 1 : 0}\n`,
        store: (text) => {
          if (fn.refcnt > 0) fail('EBUSY');
          storage.stall = kstrtobool(text);
        },
      },
    ],
  ]);
}

export function newLun(): SimLunState {
  return { file: null, ro: false, cdrom: false, removable: true, nofua: false, inquiry: '', locked: false };
}

/**
 * `lun.N/*` (storage_common.c). `ro` and `cdrom=1` → EBUSY while a file is open; `file` → EBUSY while
 * the host holds the medium locked; the path is opened as fsg_lun_open does (backing-file.ts: a
 * missing path → ENOENT, not a medium → EINVAL, too small → ETOOSMALL); `forced_eject` (Linux ≥ 6.0)
 * clears the lock and closes the file.
 */
export function lunAttributes(lun: SimLunState, opts: { forcedEject: boolean; openBacking: BackingOpener }): Map<string, SimAttribute> {
  const flag = (get: () => boolean, set: (v: boolean) => void, busyWhenOpen: boolean): SimAttribute => ({
    show: () => `${get() ? 1 : 0}\n`,
    store: (text) => {
      const v = kstrtobool(text);
      if (busyWhenOpen && lun.file !== null) fail('EBUSY');
      set(v);
    },
  });
  const storeFile = async (text: string) => {
    if (lun.locked && lun.file !== null) fail('EBUSY'); // "Door is locked"
    const path = chomp(text);
    if (path === '') {
      lun.file = null;
      return;
    }
    lun.file = await opts.openBacking(path, { readOnly: lun.ro, cdrom: lun.cdrom });
  };
  const attrs = new Map<string, SimAttribute>([
    ['file', { show: () => (lun.file === null ? '' : `${lun.file}\n`), store: storeFile }],
    ['ro', flag(() => lun.ro, (v) => (lun.ro = v), true)],
    [
      'cdrom',
      {
        // fsg_store_cdrom: cdrom=1 goes through _fsg_store_ro(true) (EBUSY while open, sets ro);
        // cdrom=0 is always accepted.
        show: () => `${lun.cdrom ? 1 : 0}\n`,
        store: (text) => {
          const v = kstrtobool(text);
          if (v && lun.file !== null) fail('EBUSY');
          if (v) lun.ro = true;
          lun.cdrom = v;
        },
      },
    ],
    ['removable', flag(() => lun.removable, (v) => (lun.removable = v), false)],
    ['nofua', flag(() => lun.nofua, (v) => (lun.nofua = v), false)],
    [
      'inquiry_string',
      {
        show: () => `${lun.inquiry}\n`,
        store: (text) => {
          lun.inquiry = chomp(text).slice(0, 28);
        },
      },
    ],
  ]);
  if (opts.forcedEject) {
    attrs.set('forced_eject', {
      store: () => {
        lun.locked = false;
        lun.file = null;
      },
    });
  }
  return attrs;
}
