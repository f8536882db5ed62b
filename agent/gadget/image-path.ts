/**
 * Confines mass-storage images to the configured image directories without a window between check
 * and use. The image is opened once (O_PATH: located, not opened for I/O, so a device node or FIFO
 * is never opened) and everything is checked on that descriptor: the file it refers to (its path
 * from /proc/self/fd, symlinks resolved by the kernel) must lie inside a real image directory and
 * be a regular file of at least one medium sector. The kernel is then handed `/proc/self/fd/N`,
 * which resolves to that very file whatever happens to the name meanwhile (platform/fd-path.ts).
 * Device nodes, FIFOs and directories are refused because f_mass_storage would accept a block
 * device as a medium (fsg_lun_open).
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { AgentError, errnoOf, fromErrno } from '../errors';
import { fdPath, O_PATH, openedPath } from '../platform/fd-path';
import { isInside } from '../platform/inside';

/**
 * The smallest media f_mass_storage accepts (storage_common.c fsg_lun_open: fewer sectors is
 * ETOOSMALL): one 512-byte sector for a disk, 300 frames of 2048 bytes for a CD-ROM ("smallest
 * track is 300 frames").
 */
export const MIN_DISK_BYTES = 512;
export const MIN_CDROM_BYTES = 300 * 2048;

/** An image opened for the kernel: hold `handle` while the kernel has it attached. */
export interface OpenImage {
  handle: FileHandle;
  /** The file's real path (for logs and errors). */
  path: string;
  /** What to write to `lun.N/file`: the descriptor's magic link. */
  kernelPath: string;
}

async function realDirs(imageDirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of imageDirs) {
    try {
      out.push(await fsp.realpath(dir));
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw fromErrno(e, `image directory ${dir}`);
      // a missing image directory simply confines nothing
    }
  }
  return out;
}

/** `requested` as an absolute path: `..` components refused, a relative name below the first dir. */
function candidatePath(requested: string, imageDirs: readonly string[]): string {
  if (requested === '' || requested.includes('\0')) throw new AgentError('bad-argument', 'empty or malformed image path');
  if (requested.split(/[\\/]/).includes('..')) throw new AgentError('forbidden', `image path ${requested}: '..' is not allowed`);
  if (path.isAbsolute(requested)) return requested;
  const first = imageDirs[0];
  if (first === undefined) throw new AgentError('forbidden', `image path ${requested}: no image directory is configured`);
  return path.join(first, requested);
}

async function check(requested: string, handle: FileHandle, imageDirs: readonly string[], cdrom: boolean): Promise<string> {
  const real = await openedPath(handle.fd);
  const dirs = await realDirs(imageDirs);
  if (!dirs.some((d) => isInside(d, real))) {
    throw new AgentError('forbidden', `image ${requested} resolves to ${real}, outside the image directories`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) throw new AgentError('forbidden', `image ${requested} is not a regular file`);
  const min = cdrom ? MIN_CDROM_BYTES : MIN_DISK_BYTES;
  if (stat.size < min) {
    const medium = cdrom ? 'a CD-ROM image needs at least 614400 bytes (300 frames of 2048)' : 'a disk image needs at least 512 bytes (one sector)';
    throw new AgentError('bad-argument', `image ${requested} is ${stat.size} bytes; ${medium}`);
  }
  return real;
}

/**
 * Open `requested` if it is a regular file inside one of `imageDirs`; the caller closes the handle
 * once the kernel no longer holds the file. Errors: 'forbidden' (`..`, outside the directories, not a
 * regular file), 'not-found', 'bad-argument' (empty, smaller than one sector).
 */
export async function openImage(requested: string, imageDirs: readonly string[], options: { cdrom: boolean }): Promise<OpenImage> {
  const candidate = candidatePath(requested, imageDirs);
  let handle: FileHandle;
  try {
    handle = await fsp.open(candidate, O_PATH);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') throw new AgentError('not-found', `image ${requested} does not exist`, e);
    throw fromErrno(e, `image ${requested}`);
  }
  try {
    const real = await check(requested, handle, imageDirs, options.cdrom);
    return { handle, path: real, kernelPath: fdPath(handle.fd) };
  } catch (e) {
    await handle.close();
    throw fromErrno(e, `image ${requested}`);
  }
}
