/**
 * Media in the mass-storage function's LUNs (`functions/mass_storage.usb0/lun.N`).
 *
 * f_mass_storage refuses `ro` and `cdrom` changes while a file is attached (EBUSY,
 * storage_common.c fsg_store_ro/fsg_store_cdrom), so every change runs eject → flags → file.
 * Eject uses `forced_eject` where it exists (Linux ≥ 6.0; detaches even when the host has locked
 * the medium with PREVENT ALLOW MEDIUM REMOVAL), else writes an empty path to `file`.
 *
 * The kernel opens whatever name is written to `file` (filp_open in the writer's context), so the
 * agent opens the image itself, checks that descriptor, writes its `/proc/self/fd/N` name and keeps
 * the descriptor until the medium is ejected (image-path.ts): the kernel attaches the file that was
 * checked, never one a swapped symlink points at. `file` then reads back the real path (d_path).
 */
import { AgentError, fromErrno } from '../errors';
import type { Logger } from '../log';
import { applyAll } from './apply';
import type { ConfigFs } from './configfs';
import type { FileHandle } from 'node:fs/promises';
import { openImage } from './image-path';
import { gadgetPath } from './plan';
import { STORAGE_FUNCTION } from './spec';

export interface MassStorageDeps {
  configfs: ConfigFs;
  gadgetName: string;
  luns: number;
  /** Directories images may come from (checked after resolving symlinks). */
  imageDirs: readonly string[];
  logger: Logger;
}

export interface AttachFlags {
  cdrom: boolean;
  readOnly: boolean;
}

export interface LunStatus {
  lun: number;
  file: string | null;
  cdrom: boolean;
  readOnly: boolean;
}

export class MassStorage {
  /** Our descriptor of each LUN's medium, held until it is ejected. */
  private readonly held = new Map<number, FileHandle>();

  constructor(private readonly deps: MassStorageDeps) {}

  private lunDir(lun: number): string {
    if (!Number.isInteger(lun) || lun < 0 || lun >= this.deps.luns) {
      throw new AgentError('bad-argument', `LUN ${lun} does not exist (0..${this.deps.luns - 1})`);
    }
    return gadgetPath(this.deps.gadgetName, 'functions', STORAGE_FUNCTION, `lun.${lun}`);
  }

  private async readAttr(dir: string, name: string): Promise<string> {
    try {
      return (await this.deps.configfs.read(`${dir}/${name}`)).replace(/\n$/, '');
    } catch (e) {
      throw fromErrno(e, `read ${dir}/${name}`);
    }
  }

  /** Attach `imagePath` (confined to the image directories) with the given flags. */
  async attach(lun: number, imagePath: string, flags: AttachFlags): Promise<LunStatus> {
    const dir = this.lunDir(lun);
    const image = await openImage(imagePath, this.deps.imageDirs, { cdrom: flags.cdrom });
    try {
      await this.eject(lun);
      await applyAll(
        this.deps.configfs,
        [
          { verb: 'WRITE', path: `${dir}/cdrom`, value: flags.cdrom ? '1' : '0' },
          { verb: 'WRITE', path: `${dir}/ro`, value: flags.readOnly ? '1' : '0' },
          { verb: 'WRITE', path: `${dir}/file`, value: image.kernelPath },
        ],
        this.deps.logger,
      );
    } catch (e) {
      await image.handle.close();
      throw e;
    }
    this.held.set(lun, image.handle);
    this.deps.logger.info('medium attached', { lun, file: image.path, cdrom: flags.cdrom, readOnly: flags.readOnly });
    return this.lunStatus(lun);
  }

  /** Detach the medium; a no-op when none is attached. */
  async eject(lun: number): Promise<void> {
    const dir = this.lunDir(lun);
    if ((await this.readAttr(dir, 'file')) !== '') await this.detach(lun, dir);
    await this.release(lun);
  }

  /** Close every descriptor still held (at stop, after the gadget is gone). */
  async releaseAll(): Promise<void> {
    for (const lun of [...this.held.keys()]) await this.release(lun);
  }

  private async detach(lun: number, dir: string): Promise<void> {
    const forced = await this.deps.configfs.exists(`${dir}/forced_eject`);
    const op = forced
      ? { verb: 'WRITE' as const, path: `${dir}/forced_eject`, value: '1' }
      : { verb: 'WRITE' as const, path: `${dir}/file`, value: '\n' };
    try {
      await applyAll(this.deps.configfs, [op], this.deps.logger);
    } catch (e) {
      if (e instanceof AgentError && e.code === 'busy') {
        throw new AgentError('busy', `LUN ${lun}: the host has locked the medium and this kernel has no forced_eject`, e);
      }
      throw e;
    }
  }

  private async release(lun: number): Promise<void> {
    const handle = this.held.get(lun);
    this.held.delete(lun);
    await handle?.close().catch(() => undefined);
  }

  async lunStatus(lun: number): Promise<LunStatus> {
    const dir = this.lunDir(lun);
    const file = await this.readAttr(dir, 'file');
    return {
      lun,
      file: file === '' ? null : file,
      cdrom: (await this.readAttr(dir, 'cdrom')) === '1',
      readOnly: (await this.readAttr(dir, 'ro')) === '1',
    };
  }

  async status(): Promise<LunStatus[]> {
    const out: LunStatus[] = [];
    for (let lun = 0; lun < this.deps.luns; lun++) out.push(await this.lunStatus(lun));
    return out;
  }
}
