/**
 * The gadget as data: options (what the operator may configure) → `GadgetSpec` (every directory
 * and attribute value the plan will create). No I/O here.
 *
 * Layout follows kvmd's gadget (kvmd/apps/otg/__init__.py) so the machine under test sees the
 * same kind of device it sees when PiKVM's own services run.
 */
import { AgentError } from '../errors';
import { KEYBOARD_REPORT_DESCRIPTOR, POINTER_REPORT_DESCRIPTOR } from './descriptors';

export const KEYBOARD_FUNCTION = 'hid.usb0';
export const POINTER_FUNCTION = 'hid.usb1';
export const STORAGE_FUNCTION = 'mass_storage.usb0';
export const CONFIG_NAME = 'c.1';
/** USB language id for English (United States), the only string table we create. */
export const STRINGS_LANG = '0x409';

export const KEYBOARD_REPORT_LENGTH = 8;
/** buttons u8, X u16 LE, Y u16 LE, wheel i8; no report id. */
export const POINTER_REPORT_LENGTH = 6;
export const POINTER_LOGICAL_MAX = 32767;
/** FSG_MAX_LUNS in drivers/usb/gadget/function/storage_common.h. */
export const MAX_LUNS = 16;

export interface InquiryOptions {
  vendor: string; // ≤ 8 characters
  product: string; // ≤ 16 characters
  revision: string; // ≤ 4 characters
}

export interface GadgetOptions {
  /** Directory name under `usb_gadget/`. */
  name: string;
  /** UDC to bind to; '' = the first entry of `class/udc`. */
  udc: string;
  vendorId: number;
  productId: number;
  bcdDevice: number;
  bcdUSB: number;
  manufacturer: string;
  product: string;
  serial: string;
  /** mA, written to `configs/c.1/MaxPower`. */
  maxPower: number;
  luns: number;
  inquiry: InquiryOptions;
}

export const DEFAULT_GADGET_OPTIONS: Readonly<GadgetOptions> = Object.freeze({
  name: 'pikvm-agent',
  udc: '',
  vendorId: 0x1d6b,
  productId: 0x0104,
  bcdDevice: 0x0100,
  bcdUSB: 0x0200,
  manufacturer: 'PiKVM',
  product: 'PiKVM Composite Device',
  serial: 'CAFEBABE',
  maxPower: 250,
  luns: 1,
  inquiry: Object.freeze({ vendor: 'PiKVM', product: 'Virtual Media', revision: '1.0' }),
});

/** One attribute file and the value written to it. `optional`: write only if the file exists. */
export interface AttributeSpec {
  name: string;
  value: string | Uint8Array;
  optional?: boolean;
}

/** A directory below a function (`lun.N`); `create: false` for default groups made by mkdir. */
export interface FunctionChildSpec {
  name: string;
  create: boolean;
  attributes: AttributeSpec[];
}

export interface FunctionSpec {
  name: string;
  attributes: AttributeSpec[];
  children: FunctionChildSpec[];
}

export interface GadgetSpec {
  name: string;
  udc: string;
  attributes: AttributeSpec[];
  strings: { lang: string; attributes: AttributeSpec[] };
  config: { name: string; strings: { lang: string; attributes: AttributeSpec[] }; attributes: AttributeSpec[] };
  functions: FunctionSpec[];
}

/** IDs are always written as `0x%04x`: the kernel parses them base 0, so `0104` would be octal. */
export function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}

/** `%-8.8s%-16.16s%-4.4s`, the fixed-width SCSI INQUIRY vendor/product/revision. */
export function formatInquiry(i: InquiryOptions): string {
  const field = (s: string, width: number) => s.slice(0, width).padEnd(width, ' ');
  return field(i.vendor, 8) + field(i.product, 16) + field(i.revision, 4);
}

function fail(key: string, why: string): never {
  throw new AgentError('bad-argument', `gadget.${key}: ${why}`);
}

function checkU16(key: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) fail(key, `must be an integer 0..0xffff, got ${v}`);
}

/** bcdDevice/bcdUSB must be binary-coded decimal (is_valid_bcd in drivers/usb/gadget/configfs.c). */
function checkBcd(key: string, v: number): void {
  checkU16(key, v);
  for (let shift = 0; shift < 16; shift += 4) if (((v >> shift) & 0xf) > 9) fail(key, `not BCD: ${hex16(v)}`);
}

function checkText(key: string, v: string, max: number): void {
  if (typeof v !== 'string' || !/^[\x20-\x7e]*$/.test(v)) fail(key, 'must be printable ASCII');
  if (v.length > max) fail(key, `at most ${max} characters, got ${v.length}`);
}

/** Defaults filled in and every value checked; errors name the option. */
export function resolveGadgetOptions(partial: Partial<GadgetOptions> = {}): GadgetOptions {
  const o: GadgetOptions = {
    ...DEFAULT_GADGET_OPTIONS,
    ...partial,
    inquiry: { ...DEFAULT_GADGET_OPTIONS.inquiry, ...(partial.inquiry ?? {}) },
  };
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(o.name) || o.name === '.' || o.name === '..') fail('name', `invalid directory name '${o.name}'`);
  if (o.udc !== '' && !/^[A-Za-z0-9_.:-]+$/.test(o.udc)) fail('udc', `invalid UDC name '${o.udc}'`);
  checkU16('vendorId', o.vendorId);
  checkU16('productId', o.productId);
  checkBcd('bcdDevice', o.bcdDevice);
  checkBcd('bcdUSB', o.bcdUSB);
  // USB string descriptors hold at most 126 UTF-16 characters (USB_MAX_STRING_LEN).
  checkText('manufacturer', o.manufacturer, 126);
  checkText('product', o.product, 126);
  checkText('serial', o.serial, 126);
  // bMaxPower is in 2 mA units (8 mA for SuperSpeed) and one byte: 500 mA is the USB 2.0 limit.
  if (!Number.isInteger(o.maxPower) || o.maxPower < 0 || o.maxPower > 500) fail('maxPower', 'must be 0..500 mA');
  if (!Number.isInteger(o.luns) || o.luns < 1 || o.luns > MAX_LUNS) fail('luns', `must be 1..${MAX_LUNS}`);
  checkText('inquiry.vendor', o.inquiry.vendor, 8);
  checkText('inquiry.product', o.inquiry.product, 16);
  checkText('inquiry.revision', o.inquiry.revision, 4);
  return o;
}

function lunSpec(index: number, inquiry: string): FunctionChildSpec {
  return {
    name: `lun.${index}`,
    create: index !== 0, // lun.0 is a default group created with the function (f_mass_storage.c)
    attributes: [
      { name: 'removable', value: '1' },
      { name: 'cdrom', value: '0' },
      { name: 'ro', value: '1' },
      { name: 'nofua', value: '0' },
      { name: 'inquiry_string', value: inquiry },
    ],
  };
}

export function buildGadgetSpec(options: GadgetOptions): GadgetSpec {
  const inquiry = formatInquiry(options.inquiry);
  return {
    name: options.name,
    udc: options.udc,
    attributes: [
      { name: 'idVendor', value: hex16(options.vendorId) },
      { name: 'idProduct', value: hex16(options.productId) },
      { name: 'bcdDevice', value: hex16(options.bcdDevice) },
      { name: 'bcdUSB', value: hex16(options.bcdUSB) },
    ],
    strings: {
      lang: STRINGS_LANG,
      attributes: [
        { name: 'manufacturer', value: options.manufacturer },
        { name: 'product', value: options.product },
        { name: 'serialnumber', value: options.serial },
      ],
    },
    config: {
      name: CONFIG_NAME,
      strings: { lang: STRINGS_LANG, attributes: [{ name: 'configuration', value: 'Config 1: HID + mass storage' }] },
      attributes: [
        { name: 'MaxPower', value: String(options.maxPower) },
        // 0x80: bit 7 must be set (USB 2.0 §9.6.3); bus powered, no remote wakeup.
        { name: 'bmAttributes', value: '0x80' },
      ],
    },
    functions: [
      {
        name: KEYBOARD_FUNCTION,
        attributes: [
          { name: 'protocol', value: '1' }, // boot interface protocol: keyboard
          { name: 'subclass', value: '1' }, // boot interface subclass
          { name: 'report_length', value: String(KEYBOARD_REPORT_LENGTH) },
          { name: 'report_desc', value: KEYBOARD_REPORT_DESCRIPTOR },
        ],
        children: [],
      },
      {
        name: POINTER_FUNCTION,
        attributes: [
          { name: 'protocol', value: '0' },
          { name: 'subclass', value: '0' },
          { name: 'report_length', value: String(POINTER_REPORT_LENGTH) },
          { name: 'report_desc', value: POINTER_REPORT_DESCRIPTOR },
          // The pointer never receives output reports; without the OUT endpoint it uses one
          // endpoint less. The attribute exists since Linux 5.15 (f_hid.c), so it is optional.
          { name: 'no_out_endpoint', value: '1', optional: true },
        ],
        children: [],
      },
      {
        name: STORAGE_FUNCTION,
        attributes: [],
        children: Array.from({ length: options.luns }, (_, i) => lunSpec(i, inquiry)),
      },
    ],
  };
}
