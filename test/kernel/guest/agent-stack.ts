/**
 * The agent's real gadget stack wired to the guest kernel (NodeConfigFs, NodeSysFs, HidgOpener on
 * dummy_udc.0), and what the host side of the same kernel enumerates from it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Gadget } from '../../../agent/gadget/gadget';
import { KEYBOARD_REPORT_DESCRIPTOR, POINTER_REPORT_DESCRIPTOR } from '../../../agent/gadget/descriptors';
import { NodeConfigFs } from '../../../agent/gadget/node-configfs';
import { DEFAULT_GADGET_OPTIONS, type GadgetOptions } from '../../../agent/gadget/spec';
import { NodeSysFs } from '../../../agent/gadget/sysfs';
import type { Logger } from '../../../agent/log';
import { silentLogger } from '../../../agent/log';
import { DUMMY_UDC, hostNodesOf, paths, readTrimmed, udcStateFile, waitFor } from './kernel-env';

export const configfs = (): NodeConfigFs => new NodeConfigFs(paths.configfsRoot);
export const sysfs = (): NodeSysFs => new NodeSysFs(paths.sysfsRoot);

/** `1d6b:0104` for the default gadget: how the host side names it in sysfs. */
export function vidPidOf(options: Partial<GadgetOptions> = {}): string {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return `${hex(options.vendorId ?? DEFAULT_GADGET_OPTIONS.vendorId)}:${hex(options.productId ?? DEFAULT_GADGET_OPTIONS.productId)}`;
}

export function newGadget(options: Partial<GadgetOptions> = {}, logger: Logger = silentLogger): Gadget {
  return new Gadget({ configfs: configfs(), sysfs: sysfs(), options: { udc: DUMMY_UDC, ...options }, logger });
}

export interface HostView {
  keyboard: string; // /dev/hidrawN of the keyboard function
  pointer: string; // /dev/hidrawN of the pointer function
  disks: string[]; // /dev/sdX of the mass-storage LUNs
}

async function descriptorOf(hidraw: string): Promise<Buffer> {
  return fs.readFile(path.join(paths.sysfsRoot, 'class/hidraw', path.basename(hidraw), 'device/report_descriptor'));
}

/**
 * Waits until the host has configured the gadget and created its nodes, telling the keyboard from
 * the pointer by their report descriptors (interface order is not the contract).
 */
export async function waitForHost(options: Partial<GadgetOptions> = {}, disks = 1): Promise<HostView> {
  await waitFor('UDC state configured', async () => ((await readTrimmed(udcStateFile())) === 'configured' ? true : undefined));
  // Probed as a whole: right after a replug the previous enumeration's nodes may still be listed
  // and vanish while we read them.
  return waitFor('host-side hidraw and block nodes with our descriptors', async () => {
    const nodes = await hostNodesOf(vidPidOf(options));
    if (nodes.block.length < disks) return undefined;
    let keyboard = '';
    let pointer = '';
    for (const node of nodes.hidraw) {
      const desc = await descriptorOf(node);
      if (desc.equals(Buffer.from(KEYBOARD_REPORT_DESCRIPTOR))) keyboard = node;
      if (desc.equals(Buffer.from(POINTER_REPORT_DESCRIPTOR))) pointer = node;
    }
    return keyboard && pointer ? { keyboard, pointer, disks: nodes.block } : undefined;
  });
}

/** Entries left under usb_gadget/ (empty after a clean teardown). */
export async function gadgetsLeft(): Promise<string[]> {
  return (await fs.readdir(path.join(paths.configfsRoot, 'usb_gadget'))).sort();
}
