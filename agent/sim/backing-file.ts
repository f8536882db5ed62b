/**
 * The simulated f_mass_storage's open of a backing file, with the rules of the real one
 * (drivers/usb/gadget/function/storage_common.c fsg_lun_open): the written name is opened like any
 * path in the writer's process (so `/proc/self/fd/N` is the agent's descriptor N), read-write unless
 * the LUN is read-only (EROFS/EACCES fall back to read-only); only regular files and block devices
 * are media (else EINVAL); fewer than one 512-byte sector, or 300 frames of 2048 bytes on a CD-ROM, is
 * ETOOSMALL. `file` then shows the opened file's path (d_path), not the name written.
 *
 * Unlike the kernel the simulation does not keep the file open: it only needs the path.
 */
import { constants, promises as fsp } from 'node:fs';
import { errnoOf } from '../errors';
import { openedPath } from '../platform/fd-path';
import { StoreError } from './kernel-attributes';

/**
 * ETOOSMALL (525, include/linux/errno.h) is kernel-internal: Node has no name for it, and its error
 * code is this text (seen from the real f_mass_storage in the kernel tier).
 */
export const ETOOSMALL = 'Unknown system error -525';

export interface BackingOptions {
  readOnly: boolean;
  cdrom: boolean;
}

/** Opens `name` as f_mass_storage would; resolves to the path `lun.N/file` then shows. */
export type BackingOpener = (name: string, options: BackingOptions) => Promise<string>;

// O_NONBLOCK: a FIFO written by a test must not hang the simulated kernel (the real one would block).
const NONBLOCK = constants.O_NONBLOCK;

async function openForMedium(name: string, readOnly: boolean) {
  if (!readOnly) {
    try {
      return await fsp.open(name, constants.O_RDWR | NONBLOCK);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'EROFS' && code !== 'EACCES') throw e;
    }
  }
  return fsp.open(name, constants.O_RDONLY | NONBLOCK);
}

export const openBackingFile: BackingOpener = async (name, options) => {
  const handle = await openForMedium(name, options.readOnly).catch((e: unknown) => {
    throw new StoreError(errnoOf(e) ?? 'EIO'); // filp_open's error is the write's error
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile() && !stat.isBlockDevice()) throw new StoreError('EINVAL'); // "invalid file type"
    const sector = options.cdrom ? 2048 : 512;
    const minSectors = options.cdrom ? 300 : 1;
    if (stat.isFile() && Math.floor(stat.size / sector) < minSectors) {
      throw new StoreError(ETOOSMALL);
    }
    return await openedPath(handle.fd);
  } finally {
    await handle.close();
  }
};
