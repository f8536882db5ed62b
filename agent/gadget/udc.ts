/**
 * The USB Device Controller side: which UDC to use, whether the host has enumerated us, and
 * binding a gadget to it through the gadget's `UDC` attribute.
 */
import { AgentError, errnoOf, fromErrno } from '../errors';
import type { Logger } from '../log';
import { applyAll, listGadgets, readBoundUdc } from './apply';
import type { ConfigFs } from './configfs';
import { gadgetPath } from './plan';
import type { SysFs } from './sysfs';

export const UDC_CLASS_DIR = 'class/udc';

/** `configured`: the host enumerated and configured us (kvmd's "host attached" test). */
export type HostState = 'configured' | 'not attached' | 'suspended' | 'powered' | 'default' | 'addressed' | string;

export async function listUdcs(sysfs: SysFs): Promise<string[]> {
  try {
    return [...(await sysfs.list(UDC_CLASS_DIR))].sort();
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return []; // no UDC driver loaded: the class dir is absent
    throw fromErrno(e, `list ${UDC_CLASS_DIR}`);
  }
}

/** The configured UDC if it exists, else the first entry of `class/udc` (sorted). */
export async function discoverUdc(sysfs: SysFs, configured: string): Promise<string> {
  const udcs = await listUdcs(sysfs);
  if (configured !== '') {
    if (!udcs.includes(configured)) {
      throw new AgentError('no-device', `UDC ${configured} not found (available: ${udcs.join(', ') || 'none'})`);
    }
    return configured;
  }
  const first = udcs[0];
  if (first === undefined) throw new AgentError('no-device', 'no USB device controller (class/udc is empty)');
  return first;
}

/**
 * `class/udc/<udc>/state` (drivers/usb/gadget/udc/core.c, usb_state_string): `configured` once
 * the host has set a configuration; `not attached`, `powered`, `default`, `addressed`,
 * `suspended` otherwise. A UDC that vanished reads as `not attached`.
 */
export async function readHostState(sysfs: SysFs, udc: string): Promise<HostState> {
  try {
    return (await sysfs.read(`${UDC_CLASS_DIR}/${udc}/state`)).trim();
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENODEV') return 'not attached';
    throw fromErrno(e, `read ${UDC_CLASS_DIR}/${udc}/state`);
  }
}

export function isHostConfigured(state: HostState): boolean {
  return state === 'configured';
}

/** Which gadget currently holds `udc`, by reading every gadget's `UDC` attribute. */
export async function udcHolder(fs: ConfigFs, udc: string): Promise<string | null> {
  for (const g of await listGadgets(fs)) {
    if ((await readBoundUdc(fs, g).catch(() => null)) === udc) return g;
  }
  return null;
}

/**
 * Bind by writing the UDC name. EBUSY: another gadget holds the UDC — since Linux 5.19 the UDC
 * core also answers EBUSY when no UDC of that name matches (usb_gadget_register_driver_owner,
 * "couldn't find an available UDC or it's busy"), so the holder is looked up to say which.
 */
export async function bindUdc(fs: ConfigFs, gadget: string, udc: string, logger: Logger): Promise<void> {
  try {
    await applyAll(fs, [{ verb: 'WRITE', path: gadgetPath(gadget, 'UDC'), value: udc }], logger);
  } catch (e) {
    if (e instanceof AgentError && e.code === 'busy') {
      const holder = await udcHolder(fs, udc).catch(() => null);
      const who = holder === null ? 'another gadget or driver' : `gadget '${holder}'`;
      throw new AgentError('busy', `UDC ${udc} is held by ${who}`, e);
    }
    throw e;
  }
}

/** Unbind by writing "\n". ENODEV means it was not bound: that is success. */
export async function unbindUdc(fs: ConfigFs, gadget: string, logger: Logger): Promise<'unbound' | 'was-unbound'> {
  if ((await readBoundUdc(fs, gadget)) === null) return 'was-unbound';
  try {
    await applyAll(fs, [{ verb: 'WRITE', path: gadgetPath(gadget, 'UDC'), value: '\n' }], logger);
    return 'unbound';
  } catch (e) {
    if (e instanceof AgentError && errnoOf(e.cause) === 'ENODEV') return 'was-unbound';
    throw e;
  }
}
